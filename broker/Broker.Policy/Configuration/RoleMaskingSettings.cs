using System.Text.RegularExpressions;

namespace Broker.Policy;

/// <summary>How masked values are replaced.</summary>
public enum MaskReplacement
{
    /// <summary>By a marker naming the detector, e.g. <c>[aws-secret-key]</c>.</summary>
    Named,

    /// <summary>By a run of the same length.</summary>
    SameLength,
}

/// <summary>A role's masking settings as written in the policy; the server maps them to <c>Broker.Masking.MaskingSettings</c>.</summary>
public sealed record RoleMaskingSettings
{
    /// <summary>Built-in detectors to turn on.</summary>
    public IReadOnlyList<string> Enable { get; init; } = [];

    /// <summary>Built-in detectors to turn off.</summary>
    public IReadOnlyList<string> Disable { get; init; } = [];

    /// <summary>Extra patterns, compiled at load.</summary>
    public IReadOnlyList<CustomMaskPattern> Custom { get; init; } = [];

    /// <summary>How matches are replaced.</summary>
    public MaskReplacement Replacement { get; init; } = MaskReplacement.Named;
}

/// <summary>A custom masking pattern.</summary>
/// <param name="Name">The name used in the replacement marker.</param>
/// <param name="Pattern">The compiled regular expression.</param>
public sealed record CustomMaskPattern(string Name, Regex Pattern);
