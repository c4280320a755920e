using System.Security.Cryptography;
using System.Text;
using Broker.Core.Accounts;
using Broker.Integration.Tests.Fixtures;

namespace Broker.Integration.Tests.Boundary;

/// <summary>
/// The broker with boundary-policy.yaml: a role that may run anything (the policy hole), target 'local' with an account
/// per session, 'unconfined' as the broker's own account (the control: what an attack yields without the boundary),
/// and 'tiny' with a pool of one account. It holds a canary in its memory for the attacks on /proc/PID/mem.
/// </summary>
public sealed class BoundaryBrokerFixture : BrokerFixture
{
    public BoundaryBrokerFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Boundary", "boundary-policy.yaml"));
        MemoryCanary = Encoding.ASCII.GetBytes("mem-canary-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
    }

    /// <summary>Why the boundary cannot be tested here, or null: without root, sessions run as the broker's own account.</summary>
    public static string? NoBoundaryReason => AccountPrivileges.CanSwitchAccounts
        ? null
        : $"no operating-system boundary to test: {AccountPrivileges.WhyNot}, so sessions run as the broker's own account";

    /// <summary>Bytes only this process's memory holds (commands name them XOR-ed, never plainly).</summary>
    public byte[] MemoryCanary { get; }

    public string DevIssuerKey => Path.Combine(DataDirectory, "dev-issuer-key.pem");

    public string RecordingKey => Path.Combine(DataDirectory, "recording-key.pem");

    public string RecordingsDirectory => Path.Combine(DataDirectory, "recordings");

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        GC.KeepAlive(MemoryCanary);
    }
}
