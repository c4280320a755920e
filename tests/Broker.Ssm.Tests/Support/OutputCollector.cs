using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace Broker.Ssm.Tests.Support;

/// <summary>Reads a process's output in the background and lets a test await what it contains.</summary>
internal sealed class OutputCollector
{
    private readonly Lock _gate = new();
    private readonly ArrayBufferWriter<byte> _bytes = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public OutputCollector(PipeReader reader) => Completed = Task.Run(() => ReadAsync(reader));

    /// <summary>Completes when the output has ended.</summary>
    public Task Completed { get; }

    public string Text
    {
        get
        {
            lock (_gate)
            {
                return Encoding.UTF8.GetString(_bytes.WrittenSpan);
            }
        }
    }

    /// <summary>Waits until the output satisfies <paramref name="condition"/>; fails with the output so far when it never does.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> condition, TimeSpan? timeout = null, string? what = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? Waits.Step);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            var text = Text;
            if (condition(text))
            {
                return text;
            }

            if (Completed.IsCompleted)
            {
                throw new InvalidOperationException($"the output ended without {what ?? "the expected text"}; it was:\n{text}");
            }

            try
            {
                await Task.WhenAny(changed, Completed).WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"timed out waiting for {what ?? "the expected text"}; the output was:\n{text}");
            }
        }
    }

    /// <summary>Waits until the output contains <paramref name="text"/> <paramref name="count"/> times.</summary>
    public Task<string> WaitForAsync(string text, int count = 1, TimeSpan? timeout = null) =>
        WaitForAsync(o => Occurrences(o, text) >= count, timeout, $"'{text}' x{count}");

    public static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private async Task ReadAsync(PipeReader reader)
    {
        while (true)
        {
            var result = await reader.ReadAsync();
            lock (_gate)
            {
                foreach (var segment in result.Buffer)
                {
                    _bytes.Write(segment.Span);
                }

                _changed.TrySetResult();
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                await reader.CompleteAsync();
                lock (_gate)
                {
                    _changed.TrySetResult();
                }

                return;
            }
        }
    }
}
