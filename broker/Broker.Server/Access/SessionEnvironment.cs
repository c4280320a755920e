using Broker.Identity.Tokens;

namespace Broker.Server.Access;

/// <summary>Variables every session of a caller gets (the agent's name, for prompts and scripts).</summary>
internal static class SessionEnvironment
{
    public static IReadOnlyDictionary<string, string> For(CallerIdentity caller) =>
        new Dictionary<string, string>(StringComparer.Ordinal) { ["BROKER_AGENT"] = caller.Subject };
}
