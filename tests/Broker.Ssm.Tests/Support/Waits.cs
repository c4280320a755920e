namespace Broker.Ssm.Tests.Support;

/// <summary>Bounds for every wait in these tests: generous, since the machine is shared and slow under load.</summary>
internal static class Waits
{
    /// <summary>For a step of a session (a prompt, a command's output).</summary>
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(60);

    /// <summary>For a whole bulk transfer under injected faults.</summary>
    public static readonly TimeSpan Bulk = TimeSpan.FromMinutes(8);
}
