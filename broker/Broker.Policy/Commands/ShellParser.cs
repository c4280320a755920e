using System.Globalization;
using System.Text;

namespace Broker.Policy.Commands;

/// <summary>
/// A strict parser for the shell language as bash reads it: words with every kind of quoting and expansion,
/// <c>&amp;&amp; || ; | &amp;</c>, newlines, comments, redirections, here-documents and the compound commands
/// (<c>if</c>, <c>while</c>, <c>until</c>, <c>for</c>, <c>select</c>, <c>case</c>, <c>{ }</c>, <c>( )</c>,
/// <c>[[ ]]</c>, <c>(( ))</c>). It flattens the script into every simple command that may run, each word with
/// what it may expand to (<see cref="ShellWord"/>), and reports shell syntax as <see cref="Construct"/>s. Places
/// where bash evaluates text as code (arithmetic, array subscripts, indirection) are checked here: text that
/// could run something there is the construct <c>evaluation-context</c>. Text it cannot parse is a failed
/// <see cref="ShellParseResult"/>; <see cref="ShellParseResult.IsIncomplete"/> says whether more lines could
/// complete it. The work is linear in the text (nested substitutions are bounded in depth). A caller that takes each
/// command as it is read (<see cref="Parse(string, IShellCommandSink)"/>) keeps no command alive longer than it needs.
/// </summary>
internal sealed partial class ShellParser
{
    private const int MaxNesting = 8;
    private const int MaxBlockDepth = 64;

    /// <summary>Longer text is refused outright; parsing cost stays bounded.</summary>
    internal const int MaxLength = 2 * 1024 * 1024;

    private static readonly string[] RedirectionOperators = ["&>>", "&>", "<<<", "<<-", "<<", "<>", "<&", ">>", ">&", ">|", "<", ">"];

    private readonly string _text;
    private readonly int _nesting;
    private readonly ShellParser? _parent;
    // Where the top-level parser sends each command; nested parsers keep theirs until they have parsed successfully.
    private readonly IShellCommandSink? _sink;
    private readonly List<SimpleCommand> _commands = [];
    private readonly List<Construct> _scriptConstructs = [];
    private readonly List<ShellWord> _words = [];
    private readonly List<Construct> _commandConstructs = [];
    private readonly List<Redirect> _redirects = [];
    private readonly List<PendingHeredoc> _heredocs = [];
    private readonly List<string> _pendingAssignments = [];
    private readonly List<Frame> _frames = [];
    private readonly StringBuilder _word = new();
    private readonly Patterns.PatternBuilder _pattern = new();
    private readonly VariableFacts _variables;
    private int _pos;
    private bool _commandHasContent;
    private bool _dropNextWord;
    private bool _conditionalStatement;
    private string? _pendingNumericAssignment;
    private (string Name, string Pattern)? _pendingLiteralAssignment;
    private Expect _expect = Expect.ListStart;
    private string? _error;
    private bool _incomplete;
    private string? _awaiting;

    private ShellParser(string text, int nesting, ShellParser? parent, IReadOnlySet<string>? banned = null, IShellCommandSink? sink = null)
    {
        _text = text;
        _nesting = nesting;
        _parent = parent;
        _sink = sink;
        _variables = parent?._variables ?? new VariableFacts { Banned = banned ?? new HashSet<string>() };
    }

    private enum Expect
    {
        Nothing,
        ListStart,
        AfterOperator,
    }

    public static ShellParseResult Parse(string text) => Parse(text, null);

    /// <summary>
    /// Parses <paramref name="text"/>, handing each simple command to <paramref name="sink"/> in the order they were
    /// read, as soon as it is complete; the result's script then has no commands, only the constructs of the text as a
    /// whole. A failed result means the commands given so far are meaningless. When the text must be read a second
    /// time, <see cref="IShellCommandSink.Restart"/> comes first and the commands of the first reading are void.
    /// </summary>
    public static ShellParseResult Parse(string text, IShellCommandSink? sink)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
        {
            return ShellParseResult.Failure($"the command is longer than {MaxLength} characters", false);
        }

        var parser = new ShellParser(text, 0, null, sink: sink);
        parser.ScanCharacters();
        var result = parser.Run();
        if (result.Succeeded && parser._variables.Unreliable() is { Count: > 0 } unreliable)
        {
            // A variable's value was relied on, but the script assigns it elsewhere too (a loop may reassign it):
            // read the script again without relying on those values.
            sink?.Restart();
            parser = new ShellParser(text, 0, null, unreliable, sink);
            parser.ScanCharacters();
            result = parser.Run();
        }

        return result;
    }

    private ShellParseResult Run()
    {
        if (!ParseList())
        {
            return ShellParseResult.Failure(_error ?? "cannot parse", _incomplete, OpenConstruct());
        }

        if (_parent is null)
        {
            foreach (var name in _variables.Contradictions())
            {
                AddUnique(_scriptConstructs, new Construct(ConstructNames.EvaluationContext, $"'{name}' is used as a number but assigned text"));
            }
        }

        return ShellParseResult.Success(new ParsedScript(_commands, _scriptConstructs));
    }

    /// <summary>Text that must appear for incomplete input to complete (a closing quote, <c>done</c>, a delimiter), or null for any line.</summary>
    private string? OpenConstruct() => _awaiting ?? (_heredocs.Count > 0 ? _heredocs[0].Delimiter : _frames.Count > 0 ? _frames[^1].Closer : null);

    private void Emit(SimpleCommand command)
    {
        if (_sink is null)
        {
            _commands.Add(command);
        }
        else
        {
            _sink.Add(command);
        }
    }

    private void EmitAll(List<SimpleCommand> commands)
    {
        foreach (var command in commands)
        {
            Emit(command);
        }
    }

    private static void AddUnique(List<Construct> list, Construct construct)
    {
        if (!list.Contains(construct))
        {
            list.Add(construct);
        }
    }

    private bool Fail(string message, bool incomplete = false, string? awaiting = null)
    {
        if (_error is null)
        {
            _error = message;
            _awaiting = awaiting;
        }

        _incomplete = incomplete;
        return false;
    }
}
