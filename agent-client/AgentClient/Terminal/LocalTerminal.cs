using System.Runtime.InteropServices;

namespace AgentClient.Terminal;

/// <summary>
/// The user's terminal, set to a <see cref="TerminalMode"/> for the length of a session and put
/// back exactly as it was on every way out: disposal, process exit, an unhandled exception,
/// SIGINT/SIGTERM/SIGHUP/SIGQUIT from outside. SIGTSTP from outside (or the <c>~^Z</c> escape)
/// restores the terminal and stops the client; when it is continued the mode is set again and
/// <c>resumed</c> runs (the window may have changed size meanwhile).
/// </summary>
internal sealed unsafe class LocalTerminal : IDisposable
{
    private static readonly PosixSignal[] RestoringSignals = [PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT];

    private readonly object _gate = new();
    private readonly TerminalMode _mode;
    private readonly Action? _resumed;
    private readonly List<PosixSignalRegistration> _registrations = [];
    private LibC.Termios _saved;
    private LibC.Termios _session;
    private bool _finished;

    private LocalTerminal(TerminalMode mode, LibC.Termios saved, LibC.Termios session, Action? resumed)
    {
        _mode = mode;
        _saved = saved;
        _session = session;
        _resumed = resumed;
    }

    /// <summary>
    /// Sets standard input's terminal to <paramref name="mode"/>; null (and nothing changed) when
    /// standard input is not a terminal.
    /// </summary>
    public static LocalTerminal? Enter(TerminalMode mode, Action? resumed = null)
    {
        if (LibC.IsATty(LibC.StandardInput) != 1)
        {
            return null;
        }

        LibC.Termios saved;
        if (LibC.TcGetAttr(LibC.StandardInput, &saved) != 0)
        {
            return null;
        }

        var session = saved;
        if (mode == TerminalMode.Raw)
        {
            LibC.CfMakeRaw(&session);
        }
        else
        {
            session.LocalFlags &= ~(LibC.Termios.Echo | LibC.Termios.Canonical | LibC.Termios.Extended);
            session.ControlCharacters[LibC.Termios.MinimumIndex] = 1;
            session.ControlCharacters[LibC.Termios.TimeIndex] = 0;
        }

        var terminal = new LocalTerminal(mode, saved, session, resumed);
        if (!terminal.Apply())
        {
            return null;
        }

        terminal.Watch();
        return terminal;
    }

    /// <summary>Puts the terminal back, stops the client (as Ctrl-Z would in a shell) and, once it is continued, sets the mode again.</summary>
    public void Suspend()
    {
        if (!Restore(finish: false))
        {
            return;
        }

        _ = LibC.Kill(Environment.ProcessId, LibC.SigStop);

        // Here the process has been continued (the SIGCONT handler does the same; setting the mode twice is harmless).
        Resume();
    }

    /// <summary>Restores the terminal as it was before <see cref="Enter"/>.</summary>
    public void Dispose()
    {
        if (_mode == TerminalMode.Watch)
        {
            // Keys typed while watching were meant for nobody: they must not reach the user's shell.
            _ = LibC.TcFlush(LibC.StandardInput, LibC.TciFlush);
        }

        Restore(finish: true);
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        AppDomain.CurrentDomain.UnhandledException -= OnUnhandledException;
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
    }

    private void Watch()
    {
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        AppDomain.CurrentDomain.UnhandledException += OnUnhandledException;
        foreach (var signal in RestoringSignals)
        {
            // Not cancelled here: the signal still ends the client (see TerminationSignals); the terminal just comes back first.
            _registrations.Add(PosixSignalRegistration.Create(signal, _ => Restore(finish: true)));
        }

        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTSTP, context =>
        {
            // Registered, SIGTSTP no longer stops the process by itself (the runtime treats it as handled).
            context.Cancel = true;
            Suspend();
        }));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGCONT, context =>
        {
            context.Cancel = true;
            Resume();
        }));
    }

    private void Resume()
    {
        if (Apply())
        {
            _resumed?.Invoke();
        }
    }

    private bool Apply()
    {
        lock (_gate)
        {
            if (_finished)
            {
                return false;
            }

            fixed (LibC.Termios* session = &_session)
            {
                return LibC.TcSetAttr(LibC.StandardInput, LibC.TcsaNow, session) == 0;
            }
        }
    }

    /// <summary>Sets the saved modes back; false when the session is already over.</summary>
    private bool Restore(bool finish)
    {
        lock (_gate)
        {
            if (_finished)
            {
                return false;
            }

            _finished = finish;
            fixed (LibC.Termios* saved = &_saved)
            {
                // Nothing more can be done if this fails: the terminal is gone.
                _ = LibC.TcSetAttr(LibC.StandardInput, LibC.TcsaNow, saved);
            }

            return true;
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => Restore(finish: true);

    private void OnUnhandledException(object? sender, UnhandledExceptionEventArgs e) => Restore(finish: true);
}
