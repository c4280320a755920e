namespace Broker.Policy.Commands;

/// <summary>Either a parsed script or the reason the text could not be parsed.</summary>
internal readonly struct ShellParseResult
{
    private ShellParseResult(ParsedScript? script, string? error, bool incomplete)
    {
        Script = script;
        Error = error;
        IsIncomplete = incomplete;
    }

    public ParsedScript? Script { get; }

    public string? Error { get; }

    /// <summary>True when more input could complete the text (open quote, trailing <c>&amp;&amp;</c>, …).</summary>
    public bool IsIncomplete { get; }

    public bool Succeeded => Script is not null;

    public static ShellParseResult Success(ParsedScript script) => new(script, null, false);

    public static ShellParseResult Failure(string error, bool incomplete) => new(null, error, incomplete);
}
