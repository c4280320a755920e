using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace Broker.Core.Tests.Targets;

/// <summary>Reads a pipe to its end in the background and lets tests wait for text in it.</summary>
internal sealed class OutputCollector
{
    private readonly ArrayBufferWriter<byte> _bytes = new();
    private readonly Lock _gate = new();
    private readonly Task _pump;

    public OutputCollector(PipeReader reader)
    {
        _pump = Task.Run(async () =>
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                foreach (var segment in result.Buffer)
                {
                    lock (_gate)
                    {
                        _bytes.Write(segment.Span);
                    }
                }

                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        });
    }

    public Task Completion => _pump;

    public byte[] Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes.WrittenSpan.ToArray();
            }
        }
    }

    public string Text => Encoding.UTF8.GetString(Bytes);

    public async Task WaitForAsync(string text, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!Text.Contains(text, StringComparison.Ordinal))
        {
            if (cts.IsCancellationRequested)
            {
                throw new TimeoutException($"'{text}' did not appear; output so far: {Text}");
            }

            await Task.Delay(20);
        }
    }
}
