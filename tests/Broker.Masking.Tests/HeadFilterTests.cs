using System.Runtime.Intrinsics.X86;
using System.Text;
using Broker.Masking.Detection;
using Broker.Masking.Tests.Corpus;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// The head filter lets the anchored heads pass over, 64 at a time, the anchors where nothing would be offered. It may keep
/// too many, never too few: every position whose first two bytes are some head's, or whose byte at a marker's offset is
/// that marker, must be kept, and a token at any offset of a block in a long text must still be masked.
/// </summary>
public class HeadFilterTests
{
    private static readonly Detector[] s_detectors = [.. MaskingProfile.BuiltIns(_ => true)];
    private static readonly string[] s_heads = [.. s_detectors.SelectMany(d => d.AnchoredNeedles)];
    private static readonly (int Offset, byte Marker)[] s_markers =
        [.. s_detectors.Where(d => d.AtEveryAnchor).Select(d => d.AnchorMarker!.Value)];

    private static readonly HeadFilter s_filter = new(s_heads, s_detectors.Where(d => d.AtEveryAnchor).Select(d => d.AnchorMarker));

    [SkippableFact]
    public void Every_position_that_begins_a_head_or_holds_a_marker_is_kept()
    {
        // Without VBMI the filter keeps every anchor (checked below); there is no vector path to check.
        Skip.IfNot(Avx512Vbmi.IsSupported, "this CPU has no AVX-512 VBMI, so the filter keeps every anchor");

        var pairs = s_heads.Select(h => ((byte)h[0], (byte)h[1])).ToHashSet();
        var random = new Random(29);
        // The heads' own bytes, so pairs and near-pairs are common, plus other token characters, a blank and a non-ASCII byte.
        var alphabet = Encoding.ASCII.GetBytes(string.Concat(s_heads) + "~~~09af-_./ \n").Append((byte)0xE2).ToArray();
        for (var round = 0; round < 400; round++)
        {
            var bytes = new byte[s_filter.Reach + random.Next(0, 200)];
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = alphabet[random.Next(alphabet.Length)];
            }

            // Whole heads too, at random places.
            for (var planted = 0; planted < 4; planted++)
            {
                var head = s_heads[random.Next(s_heads.Length)];
                var at = random.Next(0, bytes.Length - head.Length);
                Encoding.ASCII.GetBytes(head).CopyTo(bytes, at);
            }

            for (var block = 0; block + s_filter.Reach <= bytes.Length; block++)
            {
                var hits = s_filter.Hits(bytes, block);
                for (var k = 0; k < 64; k++)
                {
                    var p = block + k;
                    var wanted = pairs.Contains((bytes[p], bytes[p + 1])) || s_markers.Any(m => bytes[p + m.Offset] == m.Marker);
                    if (wanted)
                    {
                        ((hits >> k) & 1).Should().Be(1UL, $"position {p} ('{(char)bytes[p]}{(char)bytes[p + 1]}') begins a head or holds a marker");
                    }
                }
            }
        }
    }

    [Fact]
    public void Every_anchor_is_kept_where_the_bytes_that_decide_are_not_all_there()
    {
        // Near the end the block is judged on the bytes that end the text (a padded copy when the text is shorter than 128
        // bytes): the positions whose pair's second byte or marker byte is past the end are kept whatever is read there,
        // the others by their bytes (a run of digits begins no head).
        foreach (var length in new[] { s_filter.Reach + 10, 128, 130 + s_filter.Reach })
        {
            AssertKeptWhereUndecided(Encoding.ASCII.GetBytes(new string('7', length)));
        }
    }

    private static void AssertKeptWhereUndecided(byte[] bytes)
    {
        var undecided = s_filter.Reach - 64;
        for (var block = 0; block <= bytes.Length; block++)
        {
            var kept = s_filter.Keep(bytes, block, ulong.MaxValue);
            for (var k = 0; k < 64; k++)
            {
                if (block + k >= bytes.Length - undecided || !Avx512Vbmi.IsSupported)
                {
                    ((kept >> k) & 1).Should().Be(1UL, $"position {block + k} of the block at {block} is decided by bytes past the text's end");
                }
                else if (block + s_filter.Reach > bytes.Length)
                {
                    ((kept >> k) & 1).Should().Be(0UL, $"position {block + k} of the block at {block} begins no head and holds no marker");
                }
            }
        }
    }

    [Fact]
    public void Near_the_end_every_position_that_begins_a_head_holds_a_marker_or_may_still_do_so_is_kept()
    {
        // The same check as above for the last blocks of random texts, where the filter reads a padded copy: a position
        // whose pair or marker byte is not in the text yet may still begin a head or hold the marker, so it is kept.
        var pairs = s_heads.Select(h => ((byte)h[0], (byte)h[1])).ToHashSet();
        var random = new Random(37);
        var alphabet = Encoding.ASCII.GetBytes(string.Concat(s_heads) + "~~~09af-_./ \n").Append((byte)0xE2).ToArray();
        for (var round = 0; round < 400; round++)
        {
            var bytes = new byte[random.Next(1, 200)];
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = alphabet[random.Next(alphabet.Length)];
            }

            for (var block = Math.Max(0, bytes.Length - s_filter.Reach - 2); block < bytes.Length; block++)
            {
                var kept = s_filter.Keep(bytes, block, ulong.MaxValue);
                if (Avx512Vbmi.IsSupported && block + s_filter.Reach > bytes.Length)
                {
                    // Read out of the bytes that end the text, it is what a zero-padded copy of the block's bytes gives.
                    var padded = new byte[2 * 64];
                    bytes.AsSpan(block).CopyTo(padded);
                    var cut = bytes.Length - block - (s_filter.Reach - 64);
                    kept.Should().Be(s_filter.Hits(padded, 0) | (cut <= 0 ? ulong.MaxValue : ulong.MaxValue << cut), $"the block at {block} of {bytes.Length}");
                }

                for (var p = block; p < Math.Min(bytes.Length, block + 64); p++)
                {
                    var wanted = p + 1 >= bytes.Length || pairs.Contains((bytes[p], bytes[p + 1])) ||
                        s_markers.Any(m => p + m.Offset >= bytes.Length || bytes[p + m.Offset] == m.Marker);
                    if (wanted)
                    {
                        ((kept >> (p - block)) & 1).Should().Be(1UL, $"position {p} of {bytes.Length} may begin a head or hold a marker");
                    }
                }
            }
        }
    }

    [SkippableFact]
    public void Anchors_of_digits_and_hex_words_are_passed_over()
    {
        Skip.IfNot(Avx512Vbmi.IsSupported, "this CPU has no AVX-512 VBMI, so the filter keeps every anchor");

        // A long run of digits begins no head: the filter is what spares the anchors' one-by-one checks.
        var bytes = Encoding.ASCII.GetBytes(new string('1', 200));
        s_filter.Keep(bytes, 0, ulong.MaxValue).Should().Be(0UL);
    }

    [Fact]
    public void A_token_at_every_offset_of_a_block_in_long_output_is_masked()
    {
        // Ordinary text before and after, so the token's block lies wholly inside the text and the filter judges it.
        const string filler = "ok: build step done\n";
        foreach (var format in TokenFormatCorpus.All.Where(f => !DetectorCorpusTests.Leaks(Mask.Run(f.Line + "\n").Output, f)))
        {
            var secretAt = format.Line.IndexOf(format.Secret, StringComparison.Ordinal);
            for (var offset = 0; offset < 64; offset++)
            {
                var before = new StringBuilder();
                while (before.Length < 64)
                {
                    before.Append(filler);
                }

                var pad = ((offset - before.Length - secretAt) % 64 + 64) % 64;
                var text = before + new string(' ', pad) + format.Line + "\n" + string.Concat(Enumerable.Repeat(filler, 12));
                var output = Mask.Run(text).Output;
                DetectorCorpusTests.Leaks(output, format).Should().BeFalse($"{format.Format} with its secret at offset {offset} of a block: {output}");
            }
        }
    }
}
