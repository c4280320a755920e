using Broker.Core.Targets;
using Broker.Server.Credentials;
using Broker.Ssm.Targets;

namespace Broker.Server.Targets;

/// <summary>
/// An <c>ssm</c> target as the session manager sees it: at each start it finds the starting session's AWS
/// credential (its role's <c>aws.role_arn</c>, assumed for that session) and opens the SSM session with an
/// <see cref="SsmTarget"/> that signs every call with it. A session without an AWS credential, or with one for
/// another role than the target names, does not open: the broker never lends its own credential.
/// </summary>
internal sealed class SsmSessionTarget : ITarget
{
    private readonly ConfiguredSsmTarget _target;
    private readonly SessionAwsCredentials _credentials;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public SsmSessionTarget(ConfiguredSsmTarget target, SessionAwsCredentials credentials, TimeProvider time, ILogger logger)
    {
        _target = target;
        _credentials = credentials;
        _time = time;
        _logger = logger;
    }

    public string Name => _target.Settings.Name;

    public Core.Sessions.SessionLimits Limits => _target.Settings.Limits;

    public ValueTask<TargetStartResult> StartTerminalAsync(TerminalStart start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        var (target, refusal) = ForSession(start.Environment, start.Owner);
        return target is null ? ValueTask.FromResult(refusal!) : target.StartTerminalAsync(start, cancellationToken);
    }

    public ValueTask<TargetStartResult> StartCommandAsync(CommandStart start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        var (target, refusal) = ForSession(start.Environment, start.Owner);
        return target is null ? ValueTask.FromResult(refusal!) : target.StartCommandAsync(start, cancellationToken);
    }

    /// <summary>The SSM target of the session whose environment this is, signed with its credential; or why it cannot open.</summary>
    private (SsmTarget? Target, TargetStartResult? Refusal) ForSession(IReadOnlyDictionary<string, string> environment, Core.Sessions.SessionOwner? owner)
    {
        if (_credentials.SourceFor(environment) is not { } source)
        {
            return (null, TargetStartResult.Failed(
                $"target '{Name}' opens SSM sessions with the session's own AWS role credential, and none of this session's roles has one (aws.role_arn)", 126));
        }

        if (_target.RoleArn is { } required && !string.Equals(required, source.RoleArn, StringComparison.Ordinal))
        {
            return (null, TargetStartResult.Failed(
                $"target '{Name}' opens only with the credential of {required}; this session's is for {source.RoleArn} (role '{source.RoleName}')", 126));
        }

        // StartSession's Reason shows in SSM's own session history and CloudTrail: which broker session, for whom.
        var reason = owner is { } who ? $"broker session {source.SessionId} for {who.Subject}" : $"broker session {source.SessionId}";
        return (new SsmTarget(_target.Settings, new SessionRoleCredentials(source, _time), Truncate(reason, 256), _time, _logger), null);
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}
