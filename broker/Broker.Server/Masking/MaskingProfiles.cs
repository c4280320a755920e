using System.Collections.Concurrent;
using Broker.Masking;
using Broker.Policy;
using PolicyMasking = Broker.Policy.RoleMaskingSettings;

namespace Broker.Server.Masking;

/// <summary>
/// The masking profile for a set of roles, built once per distinct set. When a session holds
/// several roles the strictest combination wins: a detector is off only if every role turns it
/// off; enabled and custom detectors add up; same-length replacement only if every role asks.
/// </summary>
internal sealed class MaskingProfiles
{
    private readonly ConcurrentDictionary<string, MaskingProfileResult> _cache = new(StringComparer.Ordinal);

    public MaskingProfileResult For(IReadOnlyList<RoleDefinition> roles) =>
        _cache.GetOrAdd(string.Join('\n', roles.Select(r => r.Name).Order(StringComparer.Ordinal)), _ => MaskingProfile.Create(Combine(roles)));

    /// <summary>Clears profiles built from a previous policy snapshot.</summary>
    public void Reset() => _cache.Clear();

    public static MaskingSettings Combine(IReadOnlyList<RoleDefinition> roles)
    {
        var settings = roles.Select(r => r.Masking ?? new PolicyMasking()).ToList();
        if (settings.Count == 0)
        {
            return new MaskingSettings();
        }

        var disabled = settings.Select(s => (IEnumerable<string>)s.Disable).Aggregate((a, b) => a.Intersect(b, StringComparer.Ordinal));
        return new MaskingSettings
        {
            Enable = [.. settings.SelectMany(s => s.Enable).Distinct(StringComparer.Ordinal)],
            Disable = [.. disabled],
            Custom = [.. settings.SelectMany(s => s.Custom).Select(c => new CustomDetector(c.Name, c.Pattern.ToString())).DistinctBy(c => c.Name, StringComparer.Ordinal)],
            Replacement = settings.All(s => s.Replacement == MaskReplacement.SameLength) ? Broker.Masking.ReplacementStyle.SameLength : Broker.Masking.ReplacementStyle.Named,
        };
    }
}
