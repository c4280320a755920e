using System.Buffers;
using System.Text;

namespace Broker.Masking.Tests.Support;

/// <summary>Runs a masker over input split into given chunks and keeps every output chunk.</summary>
internal static class Mask
{
    public static MaskingProfile Profile(MaskingSettings? settings = null)
    {
        var result = MaskingProfile.Create(settings ?? new MaskingSettings());
        result.Errors.Should().BeEmpty();
        return result.Profile!;
    }

    public static MaskRun Run(string input, MaskingProfile? profile = null, SecretRegistry? secrets = null) =>
        Run(Encoding.UTF8.GetBytes(input), [input.Length == 0 ? 0 : Encoding.UTF8.GetByteCount(input)], profile, secrets);

    public static MaskRun Run(byte[] input, IReadOnlyList<int> chunkSizes, MaskingProfile? profile = null, SecretRegistry? secrets = null)
    {
        var masker = (profile ?? MaskingProfile.Default).CreateMasker(secrets ?? new SecretRegistry());
        var chunks = new List<byte[]>();
        var all = new ArrayBufferWriter<byte>();
        var offset = 0;
        foreach (var size in chunkSizes)
        {
            var writer = new ArrayBufferWriter<byte>();
            masker.Push(input.AsSpan(offset, size), writer);
            offset += size;
            Keep(writer);
        }

        offset.Should().Be(input.Length, "the chunk sizes must cover the input");
        var last = new ArrayBufferWriter<byte>();
        masker.Complete(last);
        Keep(last);
        return new MaskRun(Encoding.UTF8.GetString(all.WrittenSpan), chunks, masker.Counts);

        void Keep(ArrayBufferWriter<byte> writer)
        {
            chunks.Add(writer.WrittenSpan.ToArray());
            all.Write(writer.WrittenSpan);
        }
    }

    /// <summary>
    /// Masks <paramref name="input"/> for an 80×24 terminal in the given chunks; with <paramref name="flush"/>, the hold delay
    /// fires after every chunk. Returns the output and how many times the screen model scanned a row.
    /// </summary>
    public static (byte[] Output, int Scans) OnScreen(byte[] input, IReadOnlyList<int> chunks, bool flush, bool eagerRedrawCells = false, bool separateRedrawEvents = false)
    {
        var options = MaskerOptions.Default with { Columns = 80, Rows = 24, EagerRedrawCells = eagerRedrawCells, SeparateRedrawEvents = separateRedrawEvents };
        var masker = MaskingProfile.Default.CreateMasker(new SecretRegistry(), options);
        var output = new ArrayBufferWriter<byte>();
        var offset = 0;
        foreach (var size in chunks)
        {
            masker.Push(input.AsSpan(offset, size), output);
            offset += size;
            if (flush)
            {
                masker.FlushHeld(output);
            }
        }

        masker.Complete(output);
        return (output.WrittenSpan.ToArray(), masker.ScreenRowScans);
    }

    public static int[] Whole(byte[] input) => input.Length == 0 ? [] : [input.Length];

    public static int[] OneByOne(byte[] input) => [.. Enumerable.Repeat(1, input.Length)];

    public static int[] SplitAt(byte[] input, int at) => at <= 0 || at >= input.Length ? Whole(input) : [at, input.Length - at];

    public static int[] Random(byte[] input, int seed, int maxChunk)
    {
        var random = new Random(seed);
        var sizes = new List<int>();
        var left = input.Length;
        while (left > 0)
        {
            var size = Math.Min(left, random.Next(1, maxChunk + 1));
            sizes.Add(size);
            left -= size;
        }

        return [.. sizes];
    }

    /// <summary>Every run of four or more bytes of <paramref name="secret"/> (it is enough to check the 4-byte ones).</summary>
    public static IEnumerable<byte[]> Grams(string secret)
    {
        var bytes = Encoding.UTF8.GetBytes(secret);
        for (var i = 0; i + 4 <= bytes.Length; i++)
        {
            yield return bytes[i..(i + 4)];
        }
    }

    /// <summary>The replacement names a detector (`[MASKED:github-token]`), which may share letters with a secret; that is not a leak.</summary>
    private static byte[] WithoutMarkers(byte[] bytes) =>
        Encoding.Latin1.GetBytes(System.Text.RegularExpressions.Regex.Replace(Encoding.Latin1.GetString(bytes), @"\[MASKED:[A-Za-z0-9._-]+\]", "#"));

    public static void ShouldNotLeak(this MaskRun run, params string[] secrets)
    {
        var output = WithoutMarkers(Encoding.UTF8.GetBytes(run.Output));
        var chunks = run.Chunks.Select(WithoutMarkers).ToArray();
        foreach (var secret in secrets)
        {
            foreach (var gram in Grams(secret))
            {
                output.AsSpan().IndexOf(gram).Should().BeLessThan(0, $"'{Encoding.UTF8.GetString(gram)}' of secret '{secret}' must not appear in:\n{run.Output}");
                foreach (var chunk in chunks)
                {
                    chunk.AsSpan().IndexOf(gram).Should().BeLessThan(0);
                }
            }
        }
    }
}

internal sealed record MaskRun(string Output, IReadOnlyList<byte[]> Chunks, IReadOnlyDictionary<string, long> Counts);
