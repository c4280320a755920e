namespace Broker.Policy;

/// <summary>The stable names of every construct the parser and the engine report.</summary>
internal static class ConstructNames
{
    /// <summary><c>$(…)</c>.</summary>
    public const string CommandSubstitution = "command-substitution";
    /// <summary><c>`…`</c>.</summary>
    public const string BacktickSubstitution = "backtick-substitution";
    /// <summary><c>$name</c>, <c>${…}</c>, special parameters such as <c>$@</c>.</summary>
    public const string ParameterExpansion = "parameter-expansion";
    /// <summary><c>$((…))</c> and the obsolete <c>$[…]</c>.</summary>
    public const string ArithmeticExpansion = "arithmetic-expansion";
    /// <summary><c>((…))</c> as a command.</summary>
    public const string ArithmeticCommand = "arithmetic-command";
    /// <summary><c>&lt;(…)</c> and <c>&gt;(…)</c>.</summary>
    public const string ProcessSubstitution = "process-substitution";
    /// <summary>Any redirection; the detail is the operator and its target, e.g. <c>2&gt;&amp;1</c>.</summary>
    public const string Redirection = "redirection";
    /// <summary><c>&lt;&lt;WORD</c> and <c>&lt;&lt;-WORD</c>.</summary>
    public const string Heredoc = "heredoc";
    /// <summary><c>&lt;&lt;&lt;word</c>.</summary>
    public const string HereString = "here-string";
    /// <summary><c>( … )</c>.</summary>
    public const string Subshell = "subshell";
    /// <summary><c>{ …; }</c>.</summary>
    public const string Group = "group";
    /// <summary><c>name() …</c> or <c>function name …</c>.</summary>
    public const string FunctionDefinition = "function-definition";
    /// <summary><c>if</c>, <c>for</c>, <c>while</c>, <c>case</c>, <c>[[</c> and the other compound-command reserved words.</summary>
    public const string CompoundCommand = "compound-command";
    /// <summary><c>! command</c>.</summary>
    public const string Negation = "negation";
    /// <summary><c>{a,b}</c> and <c>{1..3}</c>.</summary>
    public const string BraceExpansion = "brace-expansion";
    /// <summary>Unquoted <c>*</c>, <c>?</c>, <c>[…]</c> and extended globs.</summary>
    public const string Glob = "glob";
    /// <summary>Unquoted <c>~</c> at the start of a word.</summary>
    public const string TildeExpansion = "tilde-expansion";
    /// <summary><c>!</c> history expansion of an interactive shell (<c>!!</c>, <c>!-2</c>, <c>!$</c>, …).</summary>
    public const string HistoryExpansion = "history-expansion";
    /// <summary><c>$'…'</c>.</summary>
    public const string AnsiCString = "ansi-c-string";
    /// <summary><c>$"…"</c>.</summary>
    public const string LocaleString = "locale-string";
    /// <summary>
    /// Text bash evaluates as code that could run a program: an array subscript or arithmetic holding text that is not
    /// known to be a number, a name given to <c>printf -v</c>/<c>read</c>/<c>test -v</c>… that is not a plain name,
    /// <c>${!name}</c>, <c>${name@P}</c>. Never allowed.
    /// </summary>
    public const string EvaluationContext = "evaluation-context";
    /// <summary>A shell variable the command sets (<c>x=1</c> alone, a loop variable, <c>read x</c>, <c>printf -v x</c>); the detail is the name.</summary>
    public const string ShellVariable = "shell-variable";
    /// <summary>A leading <c>NAME=value</c> before a command (or one given to <c>env</c>): the command's environment; the detail is the name.</summary>
    public const string Assignment = "assignment";
    /// <summary><c>name=(…)</c>.</summary>
    public const string ArrayAssignment = "array-assignment";
    /// <summary>A C0 or C1 control character other than tab and newline (CR, NUL, ESC, DEL, …).</summary>
    public const string ControlCharacter = "control-character";
    /// <summary>A Unicode format, bidi, zero-width or line/paragraph-separator character.</summary>
    public const string UnicodeFormatCharacter = "unicode-format-character";
    /// <summary>A Unicode space other than the ASCII space (e.g. no-break space).</summary>
    public const string UnicodeSpace = "unicode-space";
    /// <summary>A program whose name is not a literal word (<c>$a x</c>).</summary>
    public const string DynamicProgram = "dynamic-program";
    /// <summary>A wrapper (<c>env -S</c>, <c>xargs</c> with unknown options, …) whose inner command cannot be determined.</summary>
    public const string OpaqueWrapper = "opaque-wrapper";
    /// <summary>Wrappers nested deeper than the engine follows.</summary>
    public const string NestingTooDeep = "nesting-too-deep";
    /// <summary><c>aws … --cli-input-json</c> / <c>--cli-input-yaml</c>.</summary>
    public const string AwsCliInput = "aws-cli-input";
    /// <summary>An <c>aws</c> argument read from a file: <c>file://</c>, <c>fileb://</c>.</summary>
    public const string AwsFileArgument = "aws-file-argument";
    /// <summary><c>aws … --endpoint-url</c>.</summary>
    public const string AwsEndpointUrl = "aws-endpoint-url";
    /// <summary><c>aws … --profile</c>.</summary>
    public const string AwsProfile = "aws-profile";
    /// <summary><c>aws … --no-verify-ssl</c> / <c>--ca-bundle</c>.</summary>
    public const string AwsTlsOverride = "aws-tls-override";
    /// <summary><c>aws configure …</c>.</summary>
    public const string AwsConfigure = "aws-configure";
    /// <summary>An <c>aws</c> command the engine cannot map to a service (possibly a CLI alias).</summary>
    public const string AwsUnknownCommand = "aws-unknown-command";
}
