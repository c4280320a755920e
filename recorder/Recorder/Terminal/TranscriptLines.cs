using System.Buffers;
using System.Text;
using Recorder.Terminal;

namespace Recorder;

/// <summary>One line of a plain-text transcript of terminal bytes.</summary>
/// <param name="OffsetNanoseconds">When the line (or this piece of it) started.</param>
/// <param name="Text">The line without escape sequences or controls, neutralized (<see cref="UntrustedText"/>), tabs kept.</param>
/// <param name="IsContinuation">This piece continues a line longer than the budget.</param>
/// <param name="Continues">The line goes on in the next piece.</param>
public readonly record struct TranscriptLine(long OffsetNanoseconds, string Text, bool IsContinuation, bool Continues);

/// <summary>
/// Cuts a stream of terminal bytes (split anywhere, even inside a character or a sequence) into
/// plain lines a person can read: escape sequences and control characters other than tab are
/// removed, invisible and reordering characters are made visible, and a line longer than the
/// budget is handed out in pieces, so memory stays bounded however long the line.
/// </summary>
public sealed class TranscriptLines
{
    /// <summary>
    /// Default budget: characters of one line held before a piece is handed out. 32 Ki characters keep
    /// each piece's strings below the large object heap's threshold, so even a line of gigabytes makes
    /// only short-lived garbage.
    /// </summary>
    public const int DefaultMaxLineCharacters = 32 * 1024;

    private readonly TerminalParser _parser;
    private readonly int _maxLineCharacters;
    private readonly ArrayBufferWriter<byte> _text = new(4096);
    private readonly StringBuilder _line = new();
    private char[] _chars = new char[4096];
    private long _start = -1;
    private bool _continuation;

    /// <summary>Creates an assembler.</summary>
    /// <param name="maxLineCharacters">Characters of one line held before a piece is handed out.</param>
    /// <param name="carriageReturnEndsLine">A carriage return ends a line too (typed input, where Enter sends one).</param>
    public TranscriptLines(int maxLineCharacters = DefaultMaxLineCharacters, bool carriageReturnEndsLine = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineCharacters, 16);
        _maxLineCharacters = maxLineCharacters;
        _parser = new TerminalParser(TerminalParserMode.TextOnly, carriageReturnEndsLine);
    }

    /// <summary>Adds bytes recorded at <paramref name="offsetNanoseconds"/>; lines they complete are added to <paramref name="lines"/>.</summary>
    public void Push(long offsetNanoseconds, ReadOnlySpan<byte> bytes, ICollection<TranscriptLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        _text.ResetWrittenCount();
        _parser.Parse(bytes, _text);
        Append(offsetNanoseconds, lines);
    }

    /// <summary>Ends the stream: a line without its newline is added too.</summary>
    public void Complete(long offsetNanoseconds, ICollection<TranscriptLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        _text.ResetWrittenCount();
        _parser.Complete(_text);
        Append(offsetNanoseconds, lines);
        if (_start >= 0)
        {
            Take(lines, continues: false);
        }
    }

    /// <summary>Ends the current line here if one is started (an event interrupts it), as if a newline had come.</summary>
    public void Break(ICollection<TranscriptLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        if (_start >= 0)
        {
            Take(lines, continues: false);
        }
    }

    private void Append(long offset, ICollection<TranscriptLine> lines)
    {
        // The parser hands out whole UTF-8 characters only, so each batch decodes on its own.
        var bytes = _text.WrittenSpan;
        if (_chars.Length < bytes.Length)
        {
            _chars = new char[Math.Max(bytes.Length, _chars.Length * 2)];
        }

        var count = Encoding.UTF8.GetChars(bytes, _chars);
        var text = _chars.AsSpan(0, count);
        while (!text.IsEmpty)
        {
            if (_start < 0)
            {
                _start = offset;
            }

            var newline = text.IndexOf('\n');
            var piece = newline < 0 ? text : text[..newline];
            var room = _maxLineCharacters - _line.Length;
            if (piece.Length > room)
            {
                // Never split a surrogate pair between two pieces.
                var cut = room > 1 && char.IsHighSurrogate(piece[room - 1]) ? room - 1 : room;
                _line.Append(piece[..cut]);
                Take(lines, continues: true);
                text = text[cut..];
                continue;
            }

            _line.Append(piece);
            if (newline < 0)
            {
                return;
            }

            Take(lines, continues: false);
            text = text[(newline + 1)..];
        }
    }

    private void Take(ICollection<TranscriptLine> lines, bool continues)
    {
        var raw = _line.ToString();
        lines.Add(new TranscriptLine(Math.Max(_start, 0), UntrustedText.Neutralize(raw, keepTabs: true), _continuation, continues));
        _line.Clear();
        _continuation = continues;
        if (!continues)
        {
            _start = -1;
        }
    }
}
