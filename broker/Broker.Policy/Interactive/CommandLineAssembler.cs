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
/// A pure state machine: no I/O, no clock.
/// </summary>
public sealed class CommandLineAssembler
{
    private const byte Escape = 0x1B;

    private static readonly byte[] EraseOne = "\b \b"u8.ToArray();
    private static readonly byte[] NewLine = "\r\n"u8.ToArray();
    private static readonly byte[] ContinuationPrompt = "\r\n> "u8.ToArray();
    private static readonly byte[] Interrupted = "^C\r\n"u8.ToArray();

    private readonly List<byte> _line = [];
    // Parsing a command's text again and again as lines arrive may cost at most this many characters in all.
    private const long MaxParseWork = 64L * 1024 * 1024;

    private readonly StringBuilder _pending = new();
    private string? _awaiting;
    private long _parseWork;
    private EscapeState _escape;
    private bool _afterCarriageReturn;

    private enum EscapeState
    {
        None,
        AfterEscape,
        ControlSequence,
        SingleShift,
    }

    /// <summary>True while a command is partly typed (the current line or earlier continuation lines).</summary>
    public bool HasPendingInput => _line.Count > 0 || _pending.Length > 0;

    /// <summary>Processes <paramref name="input"/>; echo bytes go to <paramref name="echo"/>, complete commands to <paramref name="commands"/>.</summary>
    public void Feed(ReadOnlySpan<byte> input, IBufferWriter<byte> echo, ICollection<string> commands)
    {
        ArgumentNullException.ThrowIfNull(echo);
        ArgumentNullException.ThrowIfNull(commands);
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
                    EndLine(echo, commands);
                    break;
                case (byte)'\n':
                    if (!afterCarriageReturn)
                    {
                        EndLine(echo, commands);
                    }

                    break;
                case 0x03:
                    _line.Clear();
                    _pending.Clear();
                    _awaiting = null;
                    _parseWork = 0;
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
                    _line.Add(b);
                    echo.Write([b]);
                    break;
                case < 0x20:
                    // Kept in the text (the parser reports it); shown in caret notation.
                    _line.Add(b);
                    echo.Write([(byte)'^', (byte)(b + 0x40)]);
                    break;
                default:
                    _line.Add(b);
                    echo.Write([b]);
                    break;
            }
        }
    }

    /// <summary>Forgets any partly typed command.</summary>
    public void Reset()
    {
        _line.Clear();
        _pending.Clear();
        _awaiting = null;
        _parseWork = 0;
        _escape = EscapeState.None;
        _afterCarriageReturn = false;
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
            var parsed = ShellParser.Parse(_pending.ToString());
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
        _pending.Clear();
        _awaiting = null;
        _parseWork = 0;
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
}
