using System.Diagnostics;

namespace Broker.Harness.Terminals;

/// <summary>
/// Watches the output of one terminal as its reader delivers it: counts bytes, remembers when
/// output last arrived, and completes a waiter when an expected byte sequence shows up (also
/// when the sequence is split across chunks).
/// </summary>
internal sealed class OutputMonitor
{
    private readonly Lock _gate = new();
    private byte[] _pattern = [];
    private byte[] _carry = [];
    private int _carryLength;
    private TaskCompletionSource? _waiter;
    private long _received;
    private long _lastOutputTimestamp = Stopwatch.GetTimestamp();

    public long Received => Interlocked.Read(ref _received);

    public long LastOutputTimestamp => Interlocked.Read(ref _lastOutputTimestamp);

    /// <summary>Set when the terminal's reader stopped (end of output or failure).</summary>
    public string? Closed { get; private set; }

    /// <summary>Starts waiting for <paramref name="pattern"/>; only output delivered after this call counts.</summary>
    public Task Expect(ReadOnlySpan<byte> pattern)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (Closed is not null)
            {
                waiter.SetException(new IOException($"the terminal closed: {Closed}"));
                return waiter.Task;
            }

            _pattern = pattern.ToArray();
            _carry = new byte[Math.Max(0, _pattern.Length - 1)];
            _carryLength = 0;
            _waiter = waiter;
        }

        return waiter.Task;
    }

    public void OnOutput(ReadOnlySpan<byte> chunk)
    {
        Interlocked.Add(ref _received, chunk.Length);
        Interlocked.Exchange(ref _lastOutputTimestamp, Stopwatch.GetTimestamp());
        lock (_gate)
        {
            if (_waiter is null)
            {
                return;
            }

            if (Contains(chunk))
            {
                _waiter.TrySetResult();
                _waiter = null;
                return;
            }

            Remember(chunk);
        }
    }

    public void OnClosed(string reason)
    {
        lock (_gate)
        {
            Closed = reason;
            _waiter?.TrySetException(new IOException($"the terminal closed: {reason}"));
            _waiter = null;
        }
    }

    private bool Contains(ReadOnlySpan<byte> chunk)
    {
        if (chunk.IndexOf(_pattern) >= 0)
        {
            return true;
        }

        if (_carryLength == 0)
        {
            return false;
        }

        // The pattern may straddle the previous chunk's tail and this chunk's head.
        var headLength = Math.Min(chunk.Length, _pattern.Length - 1);
        Span<byte> seam = stackalloc byte[_carryLength + headLength];
        _carry.AsSpan(0, _carryLength).CopyTo(seam);
        chunk[..headLength].CopyTo(seam[_carryLength..]);
        return seam.IndexOf(_pattern) >= 0;
    }

    private void Remember(ReadOnlySpan<byte> chunk)
    {
        var keep = _carry.Length;
        if (keep == 0)
        {
            return;
        }

        if (chunk.Length >= keep)
        {
            chunk[^keep..].CopyTo(_carry);
            _carryLength = keep;
            return;
        }

        var fromOld = Math.Min(_carryLength, keep - chunk.Length);
        _carry.AsSpan(_carryLength - fromOld, fromOld).CopyTo(_carry);
        chunk.CopyTo(_carry.AsSpan(fromOld));
        _carryLength = fromOld + chunk.Length;
    }

    /// <summary>Waits until no output has arrived for <paramref name="quiet"/>, or until <paramref name="limit"/>.</summary>
    public async Task WaitForQuietAsync(TimeSpan quiet, TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetElapsedTime(LastOutputTimestamp) < quiet && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(quiet / 4, cancellationToken).ConfigureAwait(false);
        }
    }
}
