namespace Broker.Policy;

/// <summary>A problem found while loading a policy file.</summary>
/// <param name="File">The file name given to the loader.</param>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
/// <param name="Message">What is wrong.</param>
public sealed record PolicyError(string File, long Line, long Column, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}
