using System.Buffers;
using System.IO.Pipes;
using System.Text;
using Broker.Masking.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Masking.Tests;

public class HoldDelayTests
{
    private static (string Output, bool Held) EchoThenDelay(params string[] keystrokes)
    {
        var masker = MaskingProfile.Default.CreateMasker(new SecretRegistry());
        var output = new ArrayBufferWriter<byte>();
        var held = false;
        foreach (var keystroke in keystrokes)
        {
            masker.Push(Encoding.UTF8.GetBytes(keystroke), output);
            held |= masker.HasHeldBytes;
            masker.FlushHeld(output);
        }

        return (Encoding.UTF8.GetString(output.WrittenSpan), held);
    }

    [Fact]
    public void Ordinary_keystroke_echo_is_released_at_once()
    {
        var masker = MaskingProfile.Default.CreateMasker(new SecretRegistry());
        var output = new ArrayBufferWriter<byte>();

        masker.Push("l"u8, output);

        Encoding.UTF8.GetString(output.WrittenSpan).Should().Be("l");
        masker.HasHeldBytes.Should().BeFalse();
    }

    [Theory]
    [InlineData("A")]
    [InlineData("g", "h")]
    [InlineData("s", "k")]
    [InlineData("e", "y", "J")]
    [InlineData("-", "-", "-", "-", "-")]
    [InlineData("4", "5", "6", "7", "8", "9")]
    public void Short_or_undistinctive_prefix_echo_is_released_not_masked_when_the_delay_fires(params string[] keystrokes)
    {
        var (output, held) = EchoThenDelay(keystrokes);

        held.Should().BeTrue("each of these could still start a secret");
        output.Should().Be(string.Concat(keystrokes));
    }

    [Fact]
    public void Held_candidate_with_four_distinctive_bytes_is_masked_when_the_delay_fires()
    {
        var (output, _) = EchoThenDelay("token ", "ghp_", "wd1i");

        output.Should().Be("token [MASKED:github-token]");
    }

    [Fact]
    public void Secret_continuing_after_a_delay_mask_stays_masked_without_a_second_marker()
    {
        var (output, _) = EchoThenDelay("export T=", SecretCorpus.GitHubClassic[..10], SecretCorpus.GitHubClassic[10..], " done\n");

        output.Should().Be("export T=[MASKED:github-token] done\n");
    }

    [Fact]
    public void Value_after_a_secret_keyword_is_masked_when_the_delay_fires()
    {
        var (output, _) = EchoThenDelay("password=", "hunter", "22\n");

        output.Should().Be("password=[MASKED:keyword-secret]\n");
    }

    [Fact]
    public async Task Mask_filter_masks_a_key_delivered_one_byte_per_hold_delay()
    {
        var time = new FakeTimeProvider();
        var profile = MaskingProfile.Default;
        using var source = new AnonymousPipeServerStream(PipeDirection.Out);
        using var input = new AnonymousPipeClientStream(PipeDirection.In, source.ClientSafePipeHandle);
        var sink = new CapturingStream();
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var filter = MaskFilter.RunAsync(input, sink, profile, new SecretRegistry(), time, cancellation.Token);

        var text = $"id {SecretCorpus.AccessKeyId} ok\n";
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            var before = sink.Length;
            await source.WriteAsync(new[] { b }, cancellation.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            await source.FlushAsync(cancellation.Token).WaitAsync(TimeSpan.FromSeconds(10));
            for (var i = 0; i < 50 && sink.Length == before; i++)
            {
                time.Advance(profile.HoldDelay);
                await Task.Delay(20, cancellation.Token);
            }
        }

        source.Close();
        await filter.WaitAsync(TimeSpan.FromSeconds(30));

        var run = new MaskRun(sink.Text, sink.Chunks, new Dictionary<string, long>());
        run.ShouldNotLeak(SecretCorpus.AccessKeyId);
        sink.Text.Should().StartWith("id AKI[MASKED:aws-access-key-id]").And.EndWith(" ok\n");
    }

    private sealed class CapturingStream : Stream
    {
        private readonly Lock _gate = new();
        private readonly List<byte[]> _chunks = [];

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length
        {
            get
            {
                lock (_gate)
                {
                    return _chunks.Sum(c => c.Length);
                }
            }
        }

        public override long Position { get => Length; set => throw new NotSupportedException(); }

        public IReadOnlyList<byte[]> Chunks
        {
            get
            {
                lock (_gate)
                {
                    return [.. _chunks];
                }
            }
        }

        public string Text => Encoding.UTF8.GetString([.. Chunks.SelectMany(c => c)]);

        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (_gate)
            {
                _chunks.Add(buffer.AsSpan(offset, count).ToArray());
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
