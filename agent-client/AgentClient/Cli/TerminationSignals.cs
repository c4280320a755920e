using System.Runtime.InteropServices;

namespace AgentClient.Cli;

/// <summary>
/// SIGINT, SIGTERM, SIGHUP and SIGQUIT from outside (or Ctrl-C where the terminal still makes
/// signals): the first one cancels the running command, which ends its call (the broker ends the
/// session) and puts the terminal back on its way out; the client then exits with 128 + the
/// signal number, as a shell reports a program killed by it. A second one is not caught: it ends
/// the process at once. While <c>exec</c> runs, SIGINT is first offered to it, to interrupt the
/// remote program instead.
/// </summary>
internal sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private Func<bool>? _interrupt;
    private int _received;

    private TerminationSignals()
    {
    }

    /// <summary>Cancelled by the first termination signal.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>128 + the signal's number once one has ended the command, else null.</summary>
    public int? ExitCode => Volatile.Read(ref _received) is var n and > 0 ? 128 + n : null;

    public static TerminationSignals Register()
    {
        var signals = new TerminationSignals();
        foreach (var signal in (ReadOnlySpan<PosixSignal>)[PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT])
        {
            signals._registrations.Add(PosixSignalRegistration.Create(signal, signals.Handle));
        }

        return signals;
    }

    /// <summary>
    /// Signals that arrive as messages instead (a thin client's, relayed to the multiplexer master that runs
    /// its command): <see cref="Deliver"/> each one.
    /// </summary>
    public static TerminationSignals Relayed() => new();

    /// <summary>
    /// Takes one signal as the handler of a registered one would: true if it was handled (an interrupt
    /// forwarded, or the command cancelled), false for the second one, which should end the process.
    /// </summary>
    public bool Deliver(PosixSignal signal)
    {
        if (signal == PosixSignal.SIGINT && Volatile.Read(ref _interrupt) is { } interrupt && interrupt())
        {
            return true;
        }

        if (Interlocked.CompareExchange(ref _received, Mux.MuxProtocol.SignalNumber(signal), 0) != 0)
        {
            return false;
        }

        _cancel.Cancel();
        return true;
    }

    /// <summary>
    /// Offers SIGINT to <paramref name="interrupt"/> until disposed: while it returns true the
    /// signal is taken as handled (exec forwards the first Ctrl-C to the remote program).
    /// </summary>
    public IDisposable OfferInterrupts(Func<bool> interrupt)
    {
        Volatile.Write(ref _interrupt, interrupt);
        return new Withdrawal(this);
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _cancel.Dispose();
    }

    // The second one is not cancelled: it ends the process.
    private void Handle(PosixSignalContext context) => context.Cancel = Deliver(context.Signal);

    private sealed class Withdrawal(TerminationSignals owner) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref owner._interrupt, null);
    }
}
