using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Recorder;

namespace Broker.Bench.Recorder;

/// <summary>
/// What recording costs a session's output path. <c>Forward</c> is the session without recording
/// (output copied once towards the agent); <c>ForwardAndRecord</c> adds the recorder and waits for
/// it to finish everything (hash, compress, write, sign, seal), so it measures the recorder's full
/// capacity; <c>ForwardAndAppend</c> is the cost on the session's own thread. Bytes on disk per byte
/// of output are printed at setup (look for "recording size").
/// </summary>
[MemoryDiagnoser]
public class RecordingBenchmarks
{
    private const int CorpusBytes = 32 * 1024 * 1024;
    private const int ReadSize = 4096;

    private byte[] _corpus = [];
    private byte[] _agentBuffer = [];
    private RecordingSigningKey? _key;
    private RecordingWriter? _pending;

    [GlobalSetup]
    public void Setup()
    {
        _corpus = ShellOutputCorpus.Create(CorpusBytes);
        _agentBuffer = new byte[ReadSize];
        _key = RecordingSigningKey.CreateEphemeral();

        // The first configuration runs twice: its first run pays for JIT compilation.
        foreach (var (level, segment) in new[] { (3, 128 * 1024), (3, 128 * 1024), (1, 128 * 1024), (1, 1024 * 1024), (3, 1024 * 1024), (6, 1024 * 1024) })
        {
            ReportSizeAndCpu(new RecordingWriterOptions { LeaveOpen = true, MaxPendingBytes = 1L << 30, CompressionLevel = level, SegmentBytes = segment });
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _key?.Dispose();

    /// <summary>
    /// Bytes on disk per byte of output, and process CPU time per byte (CPU time, unlike wall time,
    /// stays meaningful on a shared, loaded machine).
    /// </summary>
    private void ReportSizeAndCpu(RecordingWriterOptions options)
    {
        var destination = new CountingStream();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var writer = RecordingWriter.Create(destination, Header(), _key!, options, TimeProvider.System);
        for (var position = 0; position < _corpus.Length; position += ReadSize)
        {
            writer.AppendOutput(OutputStream.Terminal, _corpus.AsSpan(position, ReadSize));
        }

        writer.SealAsync(CancellationToken.None).GetAwaiter().GetResult();
        writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Console.WriteLine(
            $"// recording size (zstd {options.CompressionLevel}, {options.SegmentBytes / 1024} KiB segments): {destination.Written} bytes on disk for {_corpus.Length} bytes of output = {100.0 * destination.Written / _corpus.Length:F2} %; " +
            $"CPU {used.TotalMilliseconds:F0} ms = {_corpus.Length / 1048576.0 / used.TotalSeconds:F0} MB/s per core");
    }

    [Benchmark(Baseline = true)]
    public void Forward()
    {
        for (var position = 0; position < _corpus.Length; position += ReadSize)
        {
            _corpus.AsSpan(position, ReadSize).CopyTo(_agentBuffer);
        }
    }

    [Benchmark]
    public async Task ForwardAndRecord()
    {
        var writer = RecordingWriter.Create(new CountingStream(), Header(), _key!, new RecordingWriterOptions { MaxPendingBytes = 1L << 30 }, TimeProvider.System);
        await using (writer)
        {
            for (var position = 0; position < _corpus.Length; position += ReadSize)
            {
                _corpus.AsSpan(position, ReadSize).CopyTo(_agentBuffer);
                writer.AppendOutput(OutputStream.Terminal, _agentBuffer);
            }

            await writer.SealAsync(CancellationToken.None);
        }
    }

    [IterationSetup(Target = nameof(ForwardAndAppend))]
    public void CreatePending() =>
        _pending = RecordingWriter.Create(new CountingStream(), Header(), _key!, new RecordingWriterOptions { MaxPendingBytes = 1L << 30 }, TimeProvider.System);

    [Benchmark]
    public void ForwardAndAppend()
    {
        var writer = _pending!;
        for (var position = 0; position < _corpus.Length; position += ReadSize)
        {
            _corpus.AsSpan(position, ReadSize).CopyTo(_agentBuffer);
            writer.AppendOutput(OutputStream.Terminal, _agentBuffer);
        }
    }

    [IterationCleanup(Target = nameof(ForwardAndAppend))]
    public void SealPending()
    {
        _pending!.SealAsync(CancellationToken.None).GetAwaiter().GetResult();
        _pending.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private static RecordingHeader Header() => new() { SessionId = "bench", Subject = "agent", Target = "local" };
}
