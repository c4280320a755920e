namespace Broker.Policy.Commands;

/// <summary>Either a parsed script or the reason the text could not be parsed.</summary>
internal readonly struct ShellParseResult
{
    private ShellParseResult(ParsedScript? script, string? error, bool incomplete, string? awaiting)
    {
        Script = script;
        Error = error;
        IsIncomplete = incomplete;
        Awaiting = awaiting;
    }

    public ParsedScript? Script { get; }

    public string? Error { get; }

    /// <summary>True when more input could complete the text (open quote, trailing <c>&amp;&amp;</c>, …).</summary>
    public bool IsIncomplete { get; }

    /// <summary>
    /// For incomplete text: the word that closes what is open (<c>fi</c>, <c>done</c>, <c>)</c>, a here-document's
    /// delimiter), or null when any further line may complete it (an open quote, a trailing operator).
    /// </summary>
    public string? Awaiting { get; }

    public bool Succeeded => Script is not null;

    public static ShellParseResult Success(ParsedScript script) => new(script, null, false, null);

    public static ShellParseResult Failure(string error, bool incomplete, string? awaiting = null) => new(null, error, incomplete, incomplete ? awaiting : null);
}
