namespace Broker.Policy;

/// <summary>Either a loaded <see cref="PolicyDocument"/> or the errors that prevented loading it.</summary>
public sealed class PolicyLoadResult
{
    private PolicyLoadResult(PolicyDocument? document, IReadOnlyList<PolicyError> errors)
    {
        Document = document;
        Errors = errors;
    }

    /// <summary>The loaded policy, when there were no errors.</summary>
    public PolicyDocument? Document { get; }

    /// <summary>Every error found (empty on success).</summary>
    public IReadOnlyList<PolicyError> Errors { get; }

    /// <summary>True when <see cref="Document"/> is set.</summary>
    public bool Succeeded => Document is not null;

    internal static PolicyLoadResult Success(PolicyDocument document) => new(document, []);

    internal static PolicyLoadResult Failure(IReadOnlyList<PolicyError> errors) => new(null, errors);
}
