using System.Security.Cryptography;
using Amazon.Runtime;
using Broker.Core.Targets;
using Broker.Ssm.Api;
using Broker.Ssm.DataChannel;
using Broker.Ssm.Interactive;
using Broker.Ssm.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Ssm.Targets;

/// <summary>
/// An instance reached through AWS Systems Manager Session Manager, for one broker session: the
/// session's own short-lived AWS credential signs every API call (StartSession, ResumeSession,
/// TerminateSession, DescribeInstanceInformation), so what the broker may do on the instance is
/// what that role may do. Interactive sessions use the shell document; commands use a
/// non-interactive document with the command as a parameter. A line-mode session gets its prompt
/// markers installed through its first input (<see cref="RemoteShellSetup"/>) or is refused.
/// </summary>
public sealed partial class SsmTarget : ITarget
{
    private readonly SsmTargetSettings _settings;
    private readonly AWSCredentials _credentials;
    private readonly string? _reason;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>A target signed for by <paramref name="credentials"/>.</summary>
    /// <param name="settings">The target.</param>
    /// <param name="credentials">The session's credential (an assumed role's): every call is signed with it.</param>
    /// <param name="reason">StartSession's Reason (who and which broker session), shown in SSM's own history.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">The logger.</param>
    public SsmTarget(SsmTargetSettings settings, AWSCredentials credentials, string? reason = null, TimeProvider? time = null, ILogger? logger = null)
    {
        _settings = settings;
        _credentials = credentials;
        _reason = reason;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public string Name => _settings.Name;

    /// <inheritdoc />
    public Core.Sessions.SessionLimits Limits => _settings.Limits;

    /// <inheritdoc />
    public async ValueTask<TargetStartResult> StartTerminalAsync(TerminalStart start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        var tag = NewTag();
        var opened = await OpenAsync(_settings.ShellDocument, _settings.ShellParameters, tag, terminal: true, cancellationToken).ConfigureAwait(false);
        if (opened.Failure is { } failure)
        {
            return failure;
        }

        var (api, channel, marker) = opened.Session!.Value;
        RemoteShellSetupResult? setup = null;
        try
        {
            await channel.SendSizeAsync(start.Columns, start.Rows, cancellationToken).ConfigureAwait(false);
            if (start.Integration is { } integration)
            {
                using var timeout = new CancellationTokenSource(_settings.SetupTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
                setup = await new RemoteShellSetup(integration, tag, data => channel.SendAsync(PayloadType.Output, data, CancellationToken.None))
                    .RunAsync(channel.Output, linked.Token).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                LogSetup(_logger, channel.SessionId, setup.Summary);
                if (!setup.Installed && integration.Enforced)
                {
                    await new SsmTerminalProcess(api, channel, marker, setup, _logger).DisposeAsync().ConfigureAwait(false);
                    return TargetStartResult.Failed($"{setup.Error} (target '{Name}')", 126);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The caller gave up: the session on the instance must not outlive the start.
            await new SsmTerminalProcess(api, channel, marker, setup, _logger).DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return TargetStartResult.Started(new SsmTerminalProcess(api, channel, marker, setup, _logger)) with
        {
            SetupNotes = setup is null ? [] : [setup.Summary],
        };
    }

    /// <inheritdoc />
    public async ValueTask<TargetStartResult> StartCommandAsync(CommandStart start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        var tag = NewTag();
        if (RemoteCommandLine.Build(start.Command, _settings.ScriptShell, tag) is not { } commandLine)
        {
            return TargetStartResult.Failed("empty command", 127);
        }

        var parameters = new Dictionary<string, IReadOnlyList<string>>(_settings.CommandParameters, StringComparer.Ordinal)
        {
            [_settings.CommandParameter] = [commandLine],
        };
        var opened = await OpenAsync(_settings.CommandDocument, parameters, tag, terminal: false, cancellationToken).ConfigureAwait(false);
        if (opened.Failure is { } failure)
        {
            return failure;
        }

        var (api, channel, marker) = opened.Session!.Value;
        return TargetStartResult.Started(new SsmCommandProcess(api, channel, marker, _logger));
    }

    private static string NewTag() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary>Resolves the instance, starts the session, connects its channel and waits until the agent is ready.</summary>
    private async Task<OpenResult> OpenAsync(string document, IReadOnlyDictionary<string, IReadOnlyList<string>> parameters, string tag, bool terminal, CancellationToken cancellationToken)
    {
        var api = new SsmSessionApi(_settings.Endpoint, _credentials);
        var instance = await api.ResolveInstanceAsync(_settings.Instance, cancellationToken).ConfigureAwait(false);
        if (!instance.Succeeded)
        {
            api.Dispose();
            return OpenResult.Failed($"cannot find the instance of target '{Name}': {instance.Error}");
        }

        var started = await api.StartSessionAsync(instance.Value!, document, parameters, _reason, cancellationToken).ConfigureAwait(false);
        if (!started.Succeeded || started.Value!.StreamUrl is null || started.Value.TokenValue.Length == 0)
        {
            api.Dispose();
            return OpenResult.Failed($"StartSession on {instance.Value} ({document}) failed: {started.Error ?? "no stream URL or token in the answer"}");
        }

        var session = started.Value;
        LogStarted(_logger, session.SessionId, instance.Value!, document);
        // A terminal's output is also watched for password prompts: its ECHO flag is not visible from here.
        var marker = new ExitStatusMarkerFilter(tag, terminal ? new PasswordPromptWatch() : null);
        var channel = new SsmDataChannel(
            new DataChannelEndpoint(session.StreamUrl, session.SessionId, session.TokenValue),
            _settings.Channel,
            ct => ResumeAsync(api, session.SessionId, ct),
            _time,
            _logger,
            marker);
        ChannelStart ready;
        try
        {
            ready = await channel.ConnectAsync(cancellationToken).ConfigureAwait(false)
                ? await channel.Ready.WaitAsync(_settings.Channel.ReadyTimeout, _time, cancellationToken).ConfigureAwait(false)
                : new ChannelStart(null, (await channel.Closed.ConfigureAwait(false)).Message);
        }
        catch (TimeoutException)
        {
            ready = new ChannelStart(null, $"the agent did not start the session within {_settings.Channel.ReadyTimeout.TotalSeconds:0} s");
        }
        catch (OperationCanceledException)
        {
            await new SsmCommandProcess(api, channel, marker, _logger).DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (ready.Session is null)
        {
            // The session exists on the service side: terminate it rather than leave it to time out.
            await new SsmCommandProcess(api, channel, marker, _logger).DisposeAsync().ConfigureAwait(false);
            return OpenResult.Failed($"SSM session {session.SessionId} on {instance.Value} did not start: {ready.Error}");
        }

        return new OpenResult((api, channel, marker), null);
    }

    private static async Task<ResumeOutcome> ResumeAsync(SsmSessionApi api, string sessionId, CancellationToken cancellationToken)
    {
        var resumed = await api.ResumeSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
        return resumed.Succeeded ? ResumeOutcome.Resumed(resumed.Value!.TokenValue) : ResumeOutcome.Failed(resumed.Error!);
    }

    private sealed record OpenResult((SsmSessionApi Api, SsmDataChannel Channel, ExitStatusMarkerFilter Marker)? Session, TargetStartResult? Failure)
    {
        public static OpenResult Failed(string message) => new(null, TargetStartResult.Failed(message, 126));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SSM session {SessionId} started on {InstanceId} ({Document})")]
    private static partial void LogStarted(ILogger logger, string sessionId, string instanceId, string document);

    [LoggerMessage(Level = LogLevel.Information, Message = "SSM session {SessionId}: {Summary}")]
    private static partial void LogSetup(ILogger logger, string sessionId, string summary);
}
