using System.IO.Pipelines;
using Broker.Core.Processes;
using Broker.Core.Sessions;
using Broker.Core.Targets;

namespace Broker.Integration.Tests.Fixtures;

/// <summary>
/// A real target whose next session's release (what disposing its process does: kill what is left, remove the cgroup,
/// release and clean the account) waits until the test allows it, so a test can see what happens meanwhile.
/// </summary>
internal sealed class HeldReleaseTarget(ITarget inner) : ITarget
{
    private HeldRelease? _next;
    private HeldRelease? _last;

    public string Name => inner.Name;

    public SessionLimits Limits => inner.Limits;

    /// <summary>Holds the release of the next session started on this target.</summary>
    public HeldRelease HoldNextRelease() => _last = _next = new HeldRelease();

    /// <summary>Lets every held release go on (a failed test must not hold the broker's shutdown).</summary>
    public void AllowAll() => _last?.Allow();

    public async ValueTask<TargetStartResult> StartTerminalAsync(TerminalStart start, CancellationToken cancellationToken) =>
        Wrap(await inner.StartTerminalAsync(start, cancellationToken).ConfigureAwait(false));

    public async ValueTask<TargetStartResult> StartCommandAsync(CommandStart start, CancellationToken cancellationToken) =>
        Wrap(await inner.StartCommandAsync(start, cancellationToken).ConfigureAwait(false));

    private TargetStartResult Wrap(TargetStartResult started) =>
        started.Process is { } process && Interlocked.Exchange(ref _next, null) is { } held
            ? TargetStartResult.Started(new HeldProcess(process, held))
            : started;

    /// <summary>One held release: <see cref="Started"/> once the session began releasing; <see cref="Allow"/> lets it go on.</summary>
    internal sealed class HeldRelease
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _allowed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Started => _started.Task;

        public void Allow() => _allowed.TrySetResult();

        public async ValueTask WaitAsync()
        {
            _started.TrySetResult();
            await _allowed.Task.ConfigureAwait(false);
        }
    }

    private sealed class HeldProcess(ITargetProcess inner, HeldRelease release) : ITargetProcess
    {
        public PipeReader Output => inner.Output;

        public PipeReader? ErrorOutput => inner.ErrorOutput;

        public Task<ProcessExit> Exited => inner.Exited;

        public TerminalInputMode InputMode => inner.InputMode;

        public ValueTask<bool> WriteInputAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => inner.WriteInputAsync(data, cancellationToken);

        public ValueTask CompleteInputAsync(CancellationToken cancellationToken) => inner.CompleteInputAsync(cancellationToken);

        public bool Resize(int columns, int rows) => inner.Resize(columns, rows);

        public bool SetEcho(bool enabled) => inner.SetEcho(enabled);

        public bool Signal(TargetSignal signal) => inner.Signal(signal);

        public void KillAll() => inner.KillAll();

        public async ValueTask DisposeAsync()
        {
            await release.WaitAsync().ConfigureAwait(false);
            await inner.DisposeAsync().ConfigureAwait(false);
        }
    }
}
