namespace Broker.Integration.Tests.Identity;

/// <summary>
/// The identity tests start OIDC providers (node), STS emulators and the AWS CLI (python): heavy
/// enough on a small machine to starve the timing-sensitive session tests running beside them, so
/// they run on their own, after the parallel tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IdentityTestGroup
{
    public const string Name = "identity (not parallel)";
}
