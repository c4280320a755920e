using Broker.Policy;

namespace Broker.Server.Access;

/// <summary>Variables every session of a caller gets (the agent's name, for prompts and scripts).</summary>
internal static class SessionEnvironment
{
    public static IReadOnlyDictionary<string, string> For(CallerIdentity caller) =>
        new Dictionary<string, string>(StringComparer.Ordinal) { ["BROKER_AGENT"] = caller.Subject };

    /// <summary>The caller's variables plus <paramref name="extra"/> (the credentials endpoint's URI and token; never keys).</summary>
    public static IReadOnlyDictionary<string, string> For(CallerIdentity caller, IReadOnlyDictionary<string, string>? extra)
    {
        if (extra is null)
        {
            return For(caller);
        }

        var variables = new Dictionary<string, string>(extra, StringComparer.Ordinal) { ["BROKER_AGENT"] = caller.Subject };
        return variables;
    }
}
