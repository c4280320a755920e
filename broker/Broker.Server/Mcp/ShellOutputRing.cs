using System.Text;

namespace Broker.Server.Mcp;

/// <summary>
/// An MCP shell's terminal output, kept for reading across tool calls: a ring of the last characters with absolute
/// positions (cursors). A reader that fell further behind than the ring holds gets what is still there, and is told
/// how many characters it missed (they are in the session's recording).
/// </summary>
internal sealed class ShellOutputRing(int capacity)
{
    private readonly char[] _ring = new char[capacity];
    private readonly Lock _gate = new();
    private long _end;
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>The position after the last character written.</summary>
    public long End
    {
        get
        {
            lock (_gate)
            {
                return _end;
            }
        }
    }

    /// <summary>Completes at the next write (or <see cref="Close"/>); read it before looking for output, so a write in between is not missed.</summary>
    public Task Changed
    {
        get
        {
            lock (_gate)
            {
                return _changed.Task;
            }
        }
    }

    public void Append(ReadOnlySpan<char> text)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            // Only the last `capacity` characters can survive this write.
            var kept = text.Length > _ring.Length ? text[^_ring.Length..] : text;
            _end += text.Length - kept.Length;
            foreach (var c in kept)
            {
                _ring[(int)(_end % _ring.Length)] = c;
                _end++;
            }

            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    /// <summary>Wakes every reader for good: nothing more will be written.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _changed.TrySetResult();
        }
    }

    /// <summary>At most <paramref name="max"/> characters from <paramref name="cursor"/>, the cursor after them, and how many before them were lost.</summary>
    public (string Text, long Cursor, long Missed) Read(long cursor, int max)
    {
        lock (_gate)
        {
            var start = Math.Max(0, _end - _ring.Length);
            var from = Math.Clamp(cursor, start, _end);
            var missed = Math.Max(0, start - cursor);
            var count = (int)Math.Min(max, _end - from);
            var text = new StringBuilder(count);
            for (var i = from; i < from + count; i++)
            {
                text.Append(_ring[(int)(i % _ring.Length)]);
            }

            return (text.ToString(), from + count, missed);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
