using System.Buffers;
using Broker.Masking;

namespace Broker.Bench.Masking;

/// <summary>
/// The throughput suite's inputs timed in CPU time of the measuring thread rather than wall time:
/// on a shared machine the wall clock counts the time other processes hold the core, the thread's CPU
/// clock does not. Best of <see cref="DefaultRepetitions"/> runs per case, after <see cref="WarmUpRuns"/> runs that let tiered compilation settle.
/// Run with <c>dotnet run -c Release --project bench/Broker.Bench -- masking-cpu</c>; <c>masking-cpu ordinary 1024 2000</c>
/// times one case with more runs (long enough to profile with <c>perf record</c>).
/// </summary>
internal static class MaskingCpuTime
{
    private const int Size = 4 * 1024 * 1024;
    private const int DefaultRepetitions = 40;

    /// <summary>
    /// Runs before any is timed. Tiered compilation settles only after some 40 runs of 4 MiB in 1 KiB pushes (runs 20–39
    /// took 5.5–6 ms in the median against 4.1 ms from run 40 on, 2026-12-07): with 10, the best of 40 was partly a
    /// measure of the JIT's warm-up rather than of the masker's steady speed.
    /// </summary>
    internal const int WarmUpRuns = 60;

    /// <summary>Times every corpus and chunk size, or only <paramref name="onlyCorpus"/> and <paramref name="onlyChunk"/> when given.</summary>
    public static void Run(string? onlyCorpus = null, int? onlyChunk = null, int repetitions = DefaultRepetitions)
    {
        var secrets = new SecretRegistry();
        secrets.Register("aws-secret-access-key", MaskingCorpora.RegisteredSecret);
        secrets.Register("aws-session-token", MaskingCorpora.RegisteredToken);
        var output = new ArrayBufferWriter<byte>(256 * 1024);
        Console.WriteLine("| input | chunk | best CPU time per 4 MiB | throughput | allocated per 4 MiB (fresh masker) |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var corpus in new[] { "ordinary", "secret-dense" }.Where(c => onlyCorpus is null || c == onlyCorpus))
        {
            var input = corpus == "ordinary" ? MaskingCorpora.Ordinary(Size) : MaskingCorpora.SecretDense(Size);
            // 4 KiB is what a bulk stream through a PTY arrives in: a read of the master returns at most the line
            // discipline's 4095-byte buffer, and each read is one push (docs/BENCHMARKS.md, "masking speed, ninth round").
            foreach (var chunk in new[] { 1024, 4096, 65536 }.Where(c => onlyChunk is null || c == onlyChunk))
            {
                var best = double.MaxValue;
                var allocated = 0L;
                for (var rep = 0; rep < repetitions + WarmUpRuns; rep++)
                {
                    var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                    var milliseconds = MaskOnce(input, chunk, secrets, MaskerOptions.Default, output);
                    if (rep >= WarmUpRuns)
                    {
                        best = Math.Min(best, milliseconds);
                        allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                    }
                }

                Console.WriteLine($"| {corpus} | {chunk} | {best:F2} ms | {Size / best / 1000:F0} MB/s | {allocated / 1024.0:F0} KiB |");
            }
        }
    }

    /// <summary>Masks <paramref name="input"/> in pushes of <paramref name="chunk"/> bytes with a fresh masker; the thread's CPU time in milliseconds.</summary>
    public static double MaskOnce(byte[] input, int chunk, SecretRegistry secrets, MaskerOptions options, ArrayBufferWriter<byte> output)
    {
        var start = ThreadCpuClock.Nanoseconds();
        var masker = MaskingProfile.Default.CreateMasker(secrets, options);
        for (var offset = 0; offset < input.Length; offset += chunk)
        {
            masker.Push(input.AsSpan(offset, Math.Min(chunk, input.Length - offset)), output);
            output.ResetWrittenCount();
        }

        masker.Complete(output);
        output.ResetWrittenCount();
        return (ThreadCpuClock.Nanoseconds() - start) / 1e6;
    }
}
