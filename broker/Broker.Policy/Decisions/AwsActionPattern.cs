namespace Broker.Policy.Decisions;

/// <summary>
/// An IAM action pattern such as <c>*:Describe*</c> or <c>s3:Delete*</c>, matched case-insensitively per part
/// (service, then action) so that a pattern fails on the first differing letter instead of scanning the whole action.
/// </summary>
internal sealed class AwsActionPattern
{
    private readonly GlobPattern _service;
    private readonly GlobPattern _action;

    public AwsActionPattern(string pattern)
    {
        Pattern = pattern;
        var colon = pattern.IndexOf(':', StringComparison.Ordinal);
        IsWellFormed = colon > 0 && colon < pattern.Length - 1;
        _service = new GlobPattern(colon < 0 ? pattern : pattern[..colon], ignoreCase: true);
        _action = new GlobPattern(colon < 0 ? "" : pattern[(colon + 1)..], ignoreCase: true);
    }

    public string Pattern { get; }

    /// <summary>True when the pattern has a service part and an action part.</summary>
    public bool IsWellFormed { get; }

    public bool IsMatch(string action)
    {
        var colon = action.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && _service.IsMatch(action.AsSpan(0, colon)) && _action.IsMatch(action.AsSpan(colon + 1));
    }

    public static bool AnyMatch(AwsActionPattern[] patterns, string action)
    {
        foreach (var pattern in patterns)
        {
            if (pattern.IsMatch(action))
            {
                return true;
            }
        }

        return false;
    }
}
