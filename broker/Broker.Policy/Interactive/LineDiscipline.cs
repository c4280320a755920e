using System.Buffers;
using System.Text;

namespace Broker.Policy;

/// <summary>
/// Line mode for an interactive shell: at the prompt the broker is the line editor (it echoes,
/// applies backspace, Ctrl-U, Ctrl-W, Ctrl-C, joins continuation lines) and hands the shell only
/// a complete command it allowed; keys typed before that command has started wait for the next
/// prompt (so a piped script runs line by line), keys typed while it runs pass through to it as stdin.
/// A command held for approval stays at the prompt: keys typed meanwhile wait as well, and Ctrl-C withdraws it.
/// Which of the two applies comes from the shell's prompt markers, and at every prompt the shell
/// discards pending input up to the broker's sync line, so typeahead a program did not read is
/// never taken as a command. A pure state machine: no I/O, no clock.
/// </summary>
public sealed class LineDiscipline
{
    // Input waiting for the next prompt is bounded: an agent cannot make the broker buffer without limit.
    private const int MaxPendingBytes = 64 * 1024;
    private const byte Interrupt = 0x03;
    private const byte EndOfFile = 0x04;

    private static readonly SearchValues<byte> LineEnds = SearchValues.Create([(byte)'\r', (byte)'\n', Interrupt, EndOfFile]);

    // Ctrl-C, Ctrl-\ and Ctrl-Z: the keys a terminal turns into a signal for the program in the foreground.
    private static readonly SearchValues<byte> SignalKeys = SearchValues.Create([Interrupt, 0x1C, 0x1A]);
    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private static readonly byte[] EchoedLineEnd = "\r\n"u8.ToArray();
    private static readonly byte[] EndOfFileByte = [EndOfFile];

    private readonly ILineModeGate _gate;
    private readonly byte[] _syncLine;
    private readonly CommandLineAssembler _assembler = new();
    private readonly ArrayBufferWriter<byte> _pending = new(256);
    private readonly ArrayBufferWriter<byte> _echo = new(256);
    private readonly List<string> _commands = new(1);
    private LineState _state = LineState.Starting;
    private HeldLine? _held;
    private long? _running;
    private bool _endRequested;
    private bool _endSentToProgram;

    /// <summary>Creates the discipline for one session.</summary>
    public LineDiscipline(ILineModeGate gate, ReadOnlySpan<byte> syncLine)
    {
        _gate = gate;
        _syncLine = syncLine.ToArray();
    }

    private enum LineState
    {
        Starting,
        Syncing,
        AtPrompt,
        AwaitingStart,
        Running,
        AwaitingPrompt,
        Held,
    }

    /// <summary>Whether typed keystrokes currently go to a running program rather than to the broker's line editor.</summary>
    public bool ProgramRunning => _state == LineState.Running;

    /// <summary>The shell finished the previous command (with <paramref name="exitStatus"/>) and waits for the sync line.</summary>
    public void PromptStarted(int? exitStatus, ICollection<LineAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (_running is { } handle && _state is LineState.AwaitingStart or LineState.Running && exitStatus is { } status)
        {
            _gate.Finished(handle, status);
        }

        _running = null;
        _state = LineState.Syncing;
        actions.Add(new LineAction.TerminalEcho(false));
        actions.Add(new LineAction.ToShell(_syncLine, Record: false));
    }

    /// <summary>The prompt is shown: typed input is now edited and decided by the broker.</summary>
    public void PromptShown(ICollection<LineAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (_state != LineState.Syncing)
        {
            return;
        }

        _state = LineState.AtPrompt;
        Process(actions);
    }

    /// <summary>The shell started the command the broker gave it.</summary>
    public void CommandStarted(ICollection<LineAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (_state != LineState.AwaitingStart)
        {
            // Only the command the broker sent can start; anything else is a look-alike in the output.
            return;
        }

        // Keys already waiting were typed before the program existed: they wait for the next prompt.
        // A signal key among them is the exception: it was meant for this command (Ctrl-C pressed
        // right after Enter), so the program gets it now, and, as a terminal's interrupt flushes its
        // input queue, the keys typed before it go.
        _state = LineState.Running;
        _endSentToProgram = false;
        var signal = _pending.WrittenSpan.LastIndexOfAny(SignalKeys);
        if (signal >= 0)
        {
            actions.Add(new LineAction.ToShell([_pending.WrittenSpan[signal]], Record: true));
            Consume(signal + 1);
        }

        DeliverEndToProgram(actions);
    }

    /// <summary>Keystrokes from the agent. Returns false (and takes none of them) when too much input is already waiting.</summary>
    public bool Input(ReadOnlySpan<byte> data, ICollection<LineAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (_state == LineState.Running)
        {
            if (!data.IsEmpty)
            {
                // A signal key for the program flushes the keys that wait for the next prompt, as a terminal's signal
                // keys flush its input queue: they were typed before the program existed (an answer typed before the
                // program's prompt showed, a password among them), and the agent that interrupts the program it meant
                // them for must not find them run as the next command line.
                if (_pending.WrittenCount > 0 && data.IndexOfAny(SignalKeys) >= 0)
                {
                    _pending.ResetWrittenCount();
                }

                actions.Add(new LineAction.ToShell(data.ToArray(), Record: true, Typed: true));
            }

            return true;
        }

        if (_pending.WrittenCount + data.Length > MaxPendingBytes)
        {
            return false;
        }

        _pending.Write(data);
        if (_state == LineState.Held)
        {
            WithdrawOnInterrupt(actions);
            return true;
        }

        Process(actions);
        return true;
    }

    /// <summary>
    /// The held command's review ended: an allowed <paramref name="verdict"/> runs exactly the held command, any other
    /// shows its message and a fresh prompt. Keys typed meanwhile wait for the next prompt, as keys typed before any
    /// command has started do.
    /// </summary>
    public void HoldEnded(long handle, LineVerdict verdict, ICollection<LineAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (_state != LineState.Held || _held is not { } held || held.Handle != handle)
        {
            return;
        }

        _held = null;
        if (verdict.Allowed)
        {
            Run(held.Command, verdict with { Handle = handle }, actions, echoed: true);
            return;
        }

        Refuse(verdict.Message, actions);
    }

    private void WithdrawOnInterrupt(ICollection<LineAction> actions)
    {
        // As a terminal's interrupt flushes its input queue, the keys typed before Ctrl-C go with the request.
        var interrupt = _pending.WrittenSpan.LastIndexOf(Interrupt);
        if (interrupt < 0 || _held is not { } held)
        {
            return;
        }

        Consume(interrupt + 1);
        if (!held.Withdrawing)
        {
            _held = held with { Withdrawing = true };
            actions.Add(new LineAction.ToAgent("^C\r\n"u8.ToArray()));
            actions.Add(new LineAction.Withdraw(held.Handle));
        }
    }

    /// <summary>
    /// The agent has no more input: a running program that waits for input gets end of file, and the
    /// shell is ended (Ctrl-D on an empty line) once the commands still waiting have run.
    /// </summary>
    public void EndOfInput(ICollection<LineAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        _endRequested = true;
        if (_state == LineState.Running)
        {
            DeliverEndToProgram(actions);
            return;
        }

        Process(actions);
    }

    private void DeliverEndToProgram(ICollection<LineAction> actions)
    {
        // A program reading its input sees end of file once; the request stays so that the shell
        // itself is ended at the prompt, after any commands still waiting there.
        if (_endRequested && !_endSentToProgram && _pending.WrittenCount == 0)
        {
            _endSentToProgram = true;
            actions.Add(new LineAction.ToShell(EndOfFileByte, Record: true, Typed: true));
        }
    }

    private void Process(ICollection<LineAction> actions)
    {
        while (_state == LineState.AtPrompt)
        {
            var data = _pending.WrittenSpan;
            if (data.IsEmpty)
            {
                if (_endRequested && !_assembler.HasPendingInput)
                {
                    _endRequested = false;
                    SendToShell(EndOfFileByte, actions, LineState.AwaitingPrompt);
                }

                return;
            }

            var stop = data.IndexOfAny(LineEnds);
            var take = stop < 0 ? data.Length : stop + 1;
            if (stop >= 0 && data[stop] == (byte)'\r' && take < data.Length && data[take] == (byte)'\n')
            {
                take++;
            }

            var chunk = data[..take].ToArray();
            Consume(take);
            if (stop >= 0 && chunk[stop] == EndOfFile)
            {
                _ = Feed(chunk.AsSpan(0, stop));
                ShowEcho(actions);
                if (!_assembler.HasPendingInput)
                {
                    SendToShell(EndOfFileByte, actions, LineState.AwaitingPrompt);
                }

                continue;
            }

            var cut = Feed(chunk);
            if (_commands.Count == 0 || cut > 0)
            {
                ShowEcho(actions);
            }

            if ((stop >= 0 && chunk[stop] == Interrupt) || cut > 0)
            {
                // The line is discarded (interrupted, or refused as longer than the assembler keeps: the echo
                // said so); an empty line brings a fresh prompt.
                SendToShell(NewLine, actions, LineState.AwaitingPrompt);
                return;
            }

            if (_commands.Count > 0)
            {
                var command = _commands[0];
                _commands.Clear();
                Submit(command, actions);
            }
        }
    }

    private void Submit(string command, ICollection<LineAction> actions)
    {
        if (string.IsNullOrWhiteSpace(command))
        {
            ShowEcho(actions);
            SendToShell(NewLine, actions, LineState.AwaitingPrompt);
            return;
        }

        var verdict = _gate.Decide(command);
        if (verdict.Held)
        {
            // The line stays at the prompt until people decide; the gate tells the agent it is held.
            ShowEcho(actions);
            _held = new HeldLine(verdict.Handle, command, Withdrawing: false);
            _state = LineState.Held;
            return;
        }

        if (!verdict.Allowed)
        {
            ShowEcho(actions);
            Refuse(verdict.Message, actions);
            return;
        }

        Run(command, verdict, actions, echoed: false);
    }

    private void Refuse(string? message, ICollection<LineAction> actions)
    {
        if (message is { Length: > 0 })
        {
            actions.Add(new LineAction.ToAgent(Encoding.UTF8.GetBytes(message.ReplaceLineEndings("\r\n") + "\r\n")));
        }

        SendToShell(NewLine, actions, LineState.AwaitingPrompt);
    }

    private void Run(string command, LineVerdict verdict, ICollection<LineAction> actions, bool echoed)
    {
        _running = verdict.Handle;

        // The shell cannot read the command before its last line end, and the terminal's echo comes on before that
        // line end is written: a program the command runs that turns echo off (read -s, sudo, ssh) always does so after
        // the broker turned it on, never before (when the broker would turn it back on under it, and the password typed
        // would be echoed and recorded as typed). The terminal echoes that line end, so the broker's echo leaves it out.
        if (!echoed)
        {
            ShowEcho(actions, withoutLineEnd: true);
        }

        if (verdict.SecretOutput)
        {
            actions.Add(new LineAction.SecretOutput());
        }

        actions.Add(new LineAction.ToShell(Encoding.UTF8.GetBytes(command), Record: true));
        actions.Add(new LineAction.TerminalEcho(true));
        SendToShell(NewLine, actions, LineState.AwaitingStart);
    }

    private void SendToShell(byte[] data, ICollection<LineAction> actions, LineState next)
    {
        actions.Add(new LineAction.ToShell(data, Record: true));
        _state = next;
    }

    /// <summary>Feeds the line editor; returns how many commands it refused as too long (its echo says so).</summary>
    private int Feed(ReadOnlySpan<byte> keys) => _assembler.Feed(keys, _echo, _commands);

    private void ShowEcho(ICollection<LineAction> actions, bool withoutLineEnd = false)
    {
        var echo = _echo.WrittenSpan;
        if (withoutLineEnd && echo.EndsWith(EchoedLineEnd))
        {
            echo = echo[..^EchoedLineEnd.Length];
        }

        if (!echo.IsEmpty)
        {
            actions.Add(new LineAction.ToAgent(echo.ToArray(), Echo: true));
        }

        _echo.ResetWrittenCount();
    }

    private void Consume(int count)
    {
        var rest = _pending.WrittenSpan[count..].ToArray();
        _pending.ResetWrittenCount();
        _pending.Write(rest);
    }

    private sealed record HeldLine(long Handle, string Command, bool Withdrawing);
}
