using System.Buffers;

namespace Broker.Core.Sessions;

/// <summary>Two output filters in a row: what the first releases, run by run, is what the second sees, in the same order.</summary>
public sealed class ChainedOutputFilter : IOutputFilter
{
    private readonly IOutputFilter _first;
    private readonly IOutputFilter _second;
    private readonly Between _between = new();

    /// <summary>Chains <paramref name="first"/> before <paramref name="second"/>.</summary>
    public ChainedOutputFilter(IOutputFilter first, IOutputFilter second)
    {
        _first = first;
        _second = second;
    }

    /// <inheritdoc/>
    // While the first filter holds bytes, the longer delay: flushing the second (a masker) before the first released what
    // it holds would decide the masker's candidate without the bytes that may complete it. While the first holds
    // nothing, the second's own delay: a masker's held tail (the first key typed after a line was erased) is released
    // after the masker's delay, not after the prompt-marker filter's longer one. Never zero while either filter has a
    // delay, so the session's hold timer exists for both.
    public TimeSpan HoldDelay => _first.HasHeldBytes || _second.HoldDelay == TimeSpan.Zero ? Longer : _second.HoldDelay;

    /// <inheritdoc/>
    public bool HasHeldBytes => _first.HasHeldBytes || _second.HasHeldBytes;

    /// <inheritdoc/>
    public void Push(OutputChannel channel, ReadOnlySpan<byte> chunk, IOutputSink output)
    {
        _first.Push(channel, chunk, _between);
        PassOn(output);
    }

    /// <inheritdoc/>
    public void FlushHeld(IOutputSink output)
    {
        _first.FlushHeld(_between);
        PassOn(output);
        _second.FlushHeld(output);
    }

    /// <inheritdoc/>
    // A fragment the first filter holds (a prompt marker's start) waits its whole delay; the second filter decides
    // for itself only when the first holds nothing, so what it releases is all that is held.
    public bool TryFlushEcho(IOutputSink output) => !_first.HasHeldBytes && _second.TryFlushEcho(output);

    /// <inheritdoc/>
    public void EndChannel(OutputChannel channel, IOutputSink output)
    {
        _first.EndChannel(channel, _between);
        PassOn(output);
        _second.EndChannel(channel, output);
    }

    /// <inheritdoc/>
    public void Complete(IOutputSink output)
    {
        _first.Complete(_between);
        PassOn(output);
        _second.Complete(output);
    }

    /// <inheritdoc/>
    public void Resize(int columns, int rows)
    {
        _first.Resize(columns, rows);
        _second.Resize(columns, rows);
    }

    private TimeSpan Longer => _first.HoldDelay > _second.HoldDelay ? _first.HoldDelay : _second.HoldDelay;

    private void PassOn(IOutputSink output)
    {
        // Indexed, not foreach: the runs are an interface here, and its enumerator would be an object per push.
        var runs = _between.Runs;
        for (var i = 0; i < runs.Count; i++)
        {
            var (channel, start, length) = runs[i];
            _second.Push(channel, _between.Bytes.Slice(start, length), output);
        }

        _between.Clear();
    }

    /// <summary>What the first filter released, as runs of one channel each, in order.</summary>
    private sealed class Between : IOutputSink
    {
        private readonly ArrayBufferWriter<byte> _bytes = new(4096);
        private readonly List<(OutputChannel Channel, int Start, int Length)> _runs = [];
        private readonly RunWriter _writer;

        public Between() => _writer = new RunWriter(this);

        public ReadOnlySpan<byte> Bytes => _bytes.WrittenSpan;

        public IReadOnlyList<(OutputChannel Channel, int Start, int Length)> Runs => _runs;

        public IBufferWriter<byte> Channel(OutputChannel channel)
        {
            if (_runs.Count == 0 || _runs[^1].Channel != channel)
            {
                _runs.Add((channel, _bytes.WrittenCount, 0));
            }

            return _writer;
        }

        public void Clear()
        {
            _bytes.ResetWrittenCount();
            _runs.Clear();
        }

        private sealed class RunWriter(Between between) : IBufferWriter<byte>
        {
            public void Advance(int count)
            {
                between._bytes.Advance(count);
                var last = between._runs[^1];
                between._runs[^1] = last with { Length = last.Length + count };
            }

            public Memory<byte> GetMemory(int sizeHint = 0) => between._bytes.GetMemory(sizeHint);

            public Span<byte> GetSpan(int sizeHint = 0) => between._bytes.GetSpan(sizeHint);
        }
    }
}
