namespace Recorder;

/// <summary>A complete command the broker decided on.</summary>
public sealed record CommandRecord
{
    /// <summary>
    /// 1-based ordinal of the command in the session. Assigned by the writer
    /// (<see cref="RecordingWriter.AppendCommand"/> returns it); ignored on input.
    /// </summary>
    public long Number { get; init; }

    /// <summary>The command text as the agent submitted it.</summary>
    public required string Text { get; init; }

    /// <summary>The parsed facts (argv, programs, redirections...) as a JSON value, or null.</summary>
    public string? FactsJson { get; init; }

    /// <summary>The decision, for example <c>allow</c>, <c>deny</c> or <c>review</c>.</summary>
    public required string Decision { get; init; }

    /// <summary>The id of the policy rule that decided, if any.</summary>
    public string? RuleId { get; init; }

    /// <summary>Why the decision was made, in words.</summary>
    public string? Reason { get; init; }
}
