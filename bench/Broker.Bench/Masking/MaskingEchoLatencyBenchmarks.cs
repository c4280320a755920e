using System.Buffers;
using BenchmarkDotNet.Attributes;
using Broker.Masking;

namespace Broker.Bench.Masking;

/// <summary>
/// What the masker adds to one interactive keystroke echo: a one-byte push into a masker that has
/// already seen a screenful of output, with the session's registered credentials in place.
/// </summary>
[MemoryDiagnoser]
public class MaskingEchoLatencyBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private StreamingMasker _masker = null!;

    [GlobalSetup]
    public void Setup()
    {
        var secrets = new SecretRegistry();
        secrets.Register("aws-secret-access-key", MaskingCorpora.RegisteredSecret);
        secrets.Register("aws-session-token", MaskingCorpora.RegisteredToken);
        _masker = MaskingProfile.Default.CreateMasker(secrets);
        _masker.Push(MaskingCorpora.Ordinary(8 * 1024), _output);
        _output.ResetWrittenCount();
    }

    [Benchmark]
    public int Keystroke()
    {
        _masker.Push("l"u8, _output);
        var written = _output.WrittenCount;
        _output.ResetWrittenCount();
        return written;
    }
}
