using Broker.Core.Sessions;
using Broker.Ssm.Api;
using Broker.Ssm.DataChannel;

namespace Broker.Ssm.Targets;

/// <summary>Configuration of an SSM target (validated before it gets here).</summary>
public sealed record SsmTargetSettings
{
    /// <summary>Target name.</summary>
    public required string Name { get; init; }

    /// <summary>Which instance sessions open on.</summary>
    public required InstanceSelector Instance { get; init; }

    /// <summary>The SSM API's region and optional endpoint override.</summary>
    public required SsmEndpoint Endpoint { get; init; }

    /// <summary>The Session document of interactive sessions.</summary>
    public string ShellDocument { get; init; } = "SSM-SessionManagerRunShell";

    /// <summary>Parameters for <see cref="ShellDocument"/>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> ShellParameters { get; init; } = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);

    /// <summary>The Session document of commands (a NonInteractiveCommands document).</summary>
    public string CommandDocument { get; init; } = "AWS-StartNonInteractiveCommand";

    /// <summary>The parameter of <see cref="CommandDocument"/> that carries the command line.</summary>
    public string CommandParameter { get; init; } = "command";

    /// <summary>Further parameters for <see cref="CommandDocument"/>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> CommandParameters { get; init; } = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);

    /// <summary>The program on the instance that runs a script (scripts are decided with bash's grammar).</summary>
    public string ScriptShell { get; init; } = "bash";

    /// <summary>Limits for sessions on this target.</summary>
    public SessionLimits Limits { get; init; } = new();

    /// <summary>How long installing the line-mode markers may take.</summary>
    public TimeSpan SetupTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Data channel tunables.</summary>
    public DataChannelSettings Channel { get; init; } = new();
}
