using Broker.DevServices.Ssm;
using Broker.DevServices.Ssm.Api;
using Broker.DevServices.Sts;

namespace Broker.DevServices.Local;

/// <summary>
/// The AWS that <c>broker serve --dev</c> brings along for its <c>ssm-local</c> target: an STS that assumes roles for
/// the broker's base keys (which it minted itself) and an SSM Session Manager whose one instance is this machine. The
/// SSM emulator knows no long-term key: it accepts only the temporary keys its STS issued, so every SSM call is
/// signed with a session's assumed-role credential, as against AWS. Both listen on free loopback ports; the embedded
/// dev policy names them by <see cref="SsmEndpointPlaceholder"/> and <see cref="StsEndpointPlaceholder"/>, which
/// <see cref="Apply"/> replaces. Dev only: nothing here is an access control.
/// </summary>
public sealed class DevAwsServices : IAsyncDisposable
{
    /// <summary>The dev policy's <c>endpoint_url</c> of <c>ssm-local</c> (<c>.invalid</c> never resolves: unreplaced, it reaches nothing).</summary>
    public const string SsmEndpointPlaceholder = "http://ssm.dev-services.invalid/";

    /// <summary>The dev policy's <c>sts.service_url</c>.</summary>
    public const string StsEndpointPlaceholder = "http://sts.dev-services.invalid/";

    private DevAwsServices(StsEmulator sts, SsmEmulator ssm, string description, bool warning)
    {
        Sts = sts;
        Ssm = ssm;
        Description = description;
        Warning = warning;
    }

    /// <summary>The STS emulator (its base credentials are the broker's in dev mode).</summary>
    public StsEmulator Sts { get; }

    /// <summary>The SSM emulator.</summary>
    public SsmEmulator Ssm { get; }

    /// <summary>The start-up log's line: which account the instance's shells run as.</summary>
    public string Description { get; }

    /// <summary>Whether <see cref="Description"/> is a warning (the shells run as the broker's own account).</summary>
    public bool Warning { get; }

    /// <summary>Starts both emulators.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The services, or why they cannot run.</returns>
    public static async Task<(DevAwsServices? Services, string? Error)> StartAsync(CancellationToken cancellationToken)
    {
        var (account, description, warning, error) = await DevInstanceAccount.ResolveAsync(cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return (null, error);
        }

        var sts = await StsEmulator.StartAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            var ssm = await SsmEmulator.StartAsync(new SsmEmulatorOptions { Shell = "/bin/bash", RunAs = account }, cancellationToken).ConfigureAwait(false);
            ssm.Credentials.TrustIssuer(id => sts.Issued(id) is { } issued
                ? new EmulatorCredential(issued.AccessKeyId, issued.SecretAccessKey, issued.SessionToken)
                : null);
            return (new DevAwsServices(sts, ssm, description, warning), null);
        }
        catch
        {
            await sts.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The dev policy with the placeholders replaced by the emulators' URLs.</summary>
    /// <param name="policy">The dev policy's text.</param>
    /// <returns>The text the broker loads.</returns>
    public string Apply(string policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy
            .Replace(SsmEndpointPlaceholder, Ssm.ServiceUrl.AbsoluteUri, StringComparison.Ordinal)
            .Replace(StsEndpointPlaceholder, Sts.ServiceUrl.AbsoluteUri, StringComparison.Ordinal);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await Ssm.DisposeAsync().ConfigureAwait(false);
        await Sts.DisposeAsync().ConfigureAwait(false);
    }
}
