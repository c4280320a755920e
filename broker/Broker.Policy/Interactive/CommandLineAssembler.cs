using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Broker.Policy.Commands;

namespace Broker.Policy;

/// <summary>
/// Rebuilds complete commands from keystrokes typed at a shell prompt, as the shell's line editor would:
/// backspace and DEL, Ctrl-U (kill line), Ctrl-W (kill word), Ctrl-C (discard everything), and continuation
/// lines (trailing <c>\</c>, unclosed quotes, a trailing <c>&amp;&amp;</c>, <c>||</c> or <c>|</c>, open here-documents).
/// It writes what the user should see to an echo buffer and reports each complete command text; only that text,
/// once decided, should be forwarded to the shell (followed by a newline). Escape sequences (cursor keys,
/// bracketed-paste markers) are dropped; other control characters stay in the text so the policy sees them.
/// A command is kept up to <see cref="MaxCommandBytes"/>: one that grows past it is refused whole (see
/// <see cref="Feed"/>). A pure state machine: no I/O, no clock.
/// </summary>
public sealed class CommandLineAssembler
{
    /// <summary>
    /// Most bytes one command may take as typed, its line ends included (a CR LF pair counts once). Half the
    /// parser's limit, so that any command the assembler reports can be parsed; an untrusted client that types
    /// without end cannot make the broker hold more than this per session.
    /// </summary>
    public const int MaxCommandBytes = 1024 * 1024;

    private const byte Escape = 0x1B;

    private static readonly byte[] EraseOne = "\b \b"u8.ToArray();
    private static readonly byte[] NewLine = "\r\n"u8.ToArray();
    private static readonly byte[] ContinuationPrompt = "\r\n> "u8.ToArray();
    private static readonly byte[] Interrupted = "^C\r\n"u8.ToArray();
    private static readonly byte[] CutNotice = System.Text.Encoding.ASCII.GetBytes(
        $"\r\nbroker: the command is longer than {MaxCommandBytes} bytes and is refused; what follows up to the end of the line is dropped\r\n");

    private readonly List<byte> _line = [];
    // Parsing a command's text again and again as lines arrive may cost at most this many characters in all.
    private const long MaxParseWork = 64L * 1024 * 1024;

    private readonly StringBuilder _pending = new();
    private string? _awaiting;
    private long _parseWork;
    // Bytes the continuation lines in _pending took as typed (with their line ends): the cap counts bytes typed.
    private int _pendingBytes;
    // The command grew past MaxCommandBytes: it was dropped, and so is everything typed up to the end of the line.
    private bool _cut;
    private EscapeState _escape;
    private bool _afterCarriageReturn;

    private enum EscapeState
    {
        None,
        AfterEscape,
        ControlSequence,
        SingleShift,
    }

    /// <summary>True while a command is partly typed (the current line or earlier continuation lines, or a line being cut).</summary>
    public bool HasPendingInput => _line.Count > 0 || _pending.Length > 0 || _cut;

    /// <summary>
    /// Processes <paramref name="input"/>; echo bytes go to <paramref name="echo"/>, complete commands to
    /// <paramref name="commands"/>. Returns how many commands ended in this input after being cut at
    /// <see cref="MaxCommandBytes"/>: such a command is never reported (no part of it may be taken for the whole),
    /// its text is dropped as soon as it passes the cap (the echo says so), and the keys after it up to the end
    /// of the line are dropped too, so the rest of an over-long line never becomes a command of its own.
    /// </summary>
    public int Feed(ReadOnlySpan<byte> input, IBufferWriter<byte> echo, ICollection<string> commands)
    {
        ArgumentNullException.ThrowIfNull(echo);
        ArgumentNullException.ThrowIfNull(commands);
        var cut = 0;
        foreach (var b in input)
        {
            var afterCarriageReturn = _afterCarriageReturn;
            _afterCarriageReturn = false;
            if (_escape != EscapeState.None)
            {
                ContinueEscape(b);
                continue;
            }

            switch (b)
            {
                case Escape:
                    _escape = EscapeState.AfterEscape;
                    break;
                case (byte)'\r':
                    _afterCarriageReturn = true;
                    cut += EndLineOrCut(echo, commands);
                    break;
                case (byte)'\n':
                    if (!afterCarriageReturn)
                    {
                        cut += EndLineOrCut(echo, commands);
                    }

                    break;
                case 0x03:
                    ForgetCommand();
                    _cut = false;
                    echo.Write(Interrupted);
                    break;
                case 0x08 or 0x7F:
                    if (RemoveLastCharacter())
                    {
                        echo.Write(EraseOne);
                    }

                    break;
                case 0x15:
                    while (RemoveLastCharacter())
                    {
                        echo.Write(EraseOne);
                    }

                    break;
                case 0x17:
                    KillWord(echo);
                    break;
                case (byte)'\t':
                    Add(b, echo, [b]);
                    break;
                case < 0x20:
                    // Kept in the text (the parser reports it); shown in caret notation.
                    Add(b, echo, [(byte)'^', (byte)(b + 0x40)]);
                    break;
                default:
                    Add(b, echo, [b]);
                    break;
            }
        }

        return cut;
    }

    /// <summary>Forgets any partly typed command.</summary>
    public void Reset()
    {
        ForgetCommand();
        _cut = false;
        _escape = EscapeState.None;
        _afterCarriageReturn = false;
    }

    private void ForgetCommand()
    {
        _line.Clear();
        _pending.Clear();
        _pendingBytes = 0;
        _awaiting = null;
        _parseWork = 0;
    }

    /// <summary>Adds a typed byte to the line, or, at the cap, drops the whole command and says so once.</summary>
    private void Add(byte b, IBufferWriter<byte> echo, ReadOnlySpan<byte> shown)
    {
        if (_cut)
        {
            return;
        }

        // Room is kept for the line end that will close this line.
        if (_pendingBytes + _line.Count + 2 > MaxCommandBytes)
        {
            ForgetCommand();
            _cut = true;
            echo.Write(CutNotice);
            return;
        }

        _line.Add(b);
        echo.Write(shown);
    }

    /// <summary>
    /// Ends the line: a cut command ends here (reported as a count, never as a command), as does one whose line
    /// end takes it past the cap (empty continuation lines add only line ends); else <see cref="EndLine"/>.
    /// </summary>
    private int EndLineOrCut(IBufferWriter<byte> echo, ICollection<string> commands)
    {
        if (_cut)
        {
            _cut = false;
            return 1;
        }

        if (_pendingBytes + _line.Count + 1 > MaxCommandBytes)
        {
            ForgetCommand();
            echo.Write(CutNotice);
            return 1;
        }

        EndLine(echo, commands);
        return 0;
    }

    private void ContinueEscape(byte b)
    {
        _escape = _escape switch
        {
            EscapeState.AfterEscape => b switch
            {
                (byte)'[' => EscapeState.ControlSequence,
                (byte)'O' => EscapeState.SingleShift,
                _ => EscapeState.None,
            },
            EscapeState.ControlSequence => b is >= 0x40 and <= 0x7E ? EscapeState.None : EscapeState.ControlSequence,
            _ => EscapeState.None,
        };
    }

    private void EndLine(IBufferWriter<byte> echo, ICollection<string> commands)
    {
        var line = Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(_line));
        _pendingBytes += _line.Count + 1;
        _line.Clear();
        var continuing = _pending.Length > 0;
        _pending.Append(line);

        // Linear time for long continuations: the whole text is parsed again only when this line could complete it.
        // When the parser said what closes the open construct (a quote, 'done', a here-document's delimiter), a line
        // without that text cannot; and the total parsing work for one command is bounded.
        if (continuing && _awaiting is { } closer && !line.Contains(closer, StringComparison.Ordinal) && _pending.Length <= ShellParser.MaxLength)
        {
            _pending.Append('\n');
            echo.Write(ContinuationPrompt);
            return;
        }

        _parseWork += _pending.Length;
        if (_parseWork <= MaxParseWork && _pending.Length <= ShellParser.MaxLength)
        {
            // Only whether the text is complete matters here: its commands are dropped as they are read.
            var parsed = ShellParser.Parse(_pending.ToString(), CommandsDropped.Instance);
            if (!parsed.Succeeded && parsed.IsIncomplete)
            {
                _awaiting = parsed.Awaiting;
                _pending.Append('\n');
                echo.Write(ContinuationPrompt);
                return;
            }
        }

        // Complete (or too costly to follow further: then it goes to the policy as it stands, which refuses it).
        var text = _pending.ToString();
        ForgetCommand();
        echo.Write(NewLine);
        commands.Add(text);
    }

    private bool RemoveLastCharacter()
    {
        if (_line.Count == 0)
        {
            return false;
        }

        // Remove UTF-8 continuation bytes, then the lead byte.
        var end = _line.Count - 1;
        while (end > 0 && (_line[end] & 0xC0) == 0x80)
        {
            end--;
        }

        _line.RemoveRange(end, _line.Count - end);
        return true;
    }

    private void KillWord(IBufferWriter<byte> echo)
    {
        while (_line.Count > 0 && _line[^1] is (byte)' ' or (byte)'\t')
        {
            RemoveLastCharacter();
            echo.Write(EraseOne);
        }

        while (_line.Count > 0 && _line[^1] is not ((byte)' ' or (byte)'\t'))
        {
            RemoveLastCharacter();
            echo.Write(EraseOne);
        }
    }

    /// <summary>A sink that keeps no command: a long command's text is parsed without holding what it runs.</summary>
    private sealed class CommandsDropped : IShellCommandSink
    {
        public static readonly CommandsDropped Instance = new();

        public void Add(SimpleCommand command)
        {
        }

        public void Restart()
        {
        }
    }
}
