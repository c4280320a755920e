using Amazon.Runtime;
using Broker.Core.Targets;
using Broker.Ssm.Api;
using Broker.Ssm.Targets;
using Broker.DevServices.Ssm;

namespace Broker.Ssm.Tests.Support;

/// <summary>An emulator with one known key, and SSM targets pointed at it.</summary>
internal sealed class SsmRig : IAsyncDisposable
{
    private readonly List<ITargetProcess> _processes = [];
    private int _disposed;

    private SsmRig(SsmEmulator emulator, BasicAWSCredentials credentials, string accessKeyId)
    {
        Emulator = emulator;
        Credentials = credentials;
        AccessKeyId = accessKeyId;
    }

    public SsmEmulator Emulator { get; }

    /// <summary>The key the targets sign with (the emulator knows it).</summary>
    public BasicAWSCredentials Credentials { get; }

    public string AccessKeyId { get; }

    public string InstanceId => Emulator.Options.Instances[0].InstanceId;

    public static async Task<SsmRig> StartAsync(SsmEmulatorOptions? options = null)
    {
        var emulator = await SsmEmulator.StartAsync(options).WaitAsync(Waits.Step);
        var accessKeyId = "AKIA" + Guid.NewGuid().ToString("N")[..16].ToUpperInvariant();
        var secret = Convert.ToBase64String(Guid.NewGuid().ToByteArray()) + "x";
        emulator.AddCredentials(accessKeyId, secret);
        return new SsmRig(emulator, new BasicAWSCredentials(accessKeyId, secret), accessKeyId);
    }

    public SsmTargetSettings Settings(Func<SsmTargetSettings, SsmTargetSettings>? configure = null)
    {
        var settings = new SsmTargetSettings
        {
            Name = "ssm-test",
            Instance = InstanceSelector.ById(InstanceId),
            Endpoint = new SsmEndpoint(Emulator.Options.Region, Emulator.ServiceUrl),
            SetupTimeout = Waits.Step,
        };
        return configure is null ? settings : configure(settings);
    }

    public SsmTarget Target(Func<SsmTargetSettings, SsmTargetSettings>? configure = null, AWSCredentials? credentials = null) =>
        new(Settings(configure), credentials ?? Credentials, "broker test session");

    /// <summary>Starts a terminal and keeps the process for disposal.</summary>
    public async Task<ITargetProcess> StartTerminalAsync(SsmTarget target, TerminalStart start)
    {
        var result = await target.StartTerminalAsync(start, CancellationToken.None).AsTask().WaitAsync(Waits.Step);
        result.Error.Should().BeNull();
        _processes.Add(result.Process!);
        return result.Process!;
    }

    /// <summary>Starts a command and keeps the process for disposal.</summary>
    public async Task<ITargetProcess> StartCommandAsync(SsmTarget target, TargetCommand command)
    {
        var result = await target.StartCommandAsync(new CommandStart(command, new Dictionary<string, string>()), CancellationToken.None).AsTask().WaitAsync(Waits.Step);
        result.Error.Should().BeNull();
        _processes.Add(result.Process!);
        return result.Process!;
    }

    /// <summary>Starts a line-mode terminal and takes it to its first prompt: marker A, the sync line, marker B.</summary>
    public async Task<(Broker.Ssm.Targets.SsmTerminalProcess Shell, OutputCollector Output)> StartAtPromptAsync(SsmTarget target, Broker.Core.Interactive.ShellIntegration integration)
    {
        var shell = (Broker.Ssm.Targets.SsmTerminalProcess)await StartTerminalAsync(target, Terminal(integration: integration));
        var output = new OutputCollector(shell.Output);
        await output.WaitForAsync($"\u001b]133;A;{integration.Nonce};");
        await Keys.SendAsync(shell, integration.SyncLine);
        await output.WaitForAsync($"\u001b]133;B;{integration.Nonce}\u0007");
        return (shell, output);
    }

    public static TerminalStart Terminal(int columns = 80, int rows = 24, Broker.Core.Interactive.ShellIntegration? integration = null) =>
        new(columns, rows, "xterm-256color", new Dictionary<string, string>(), integration);

    /// <summary>Disposes each process, then the emulator, each step bounded; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var process in _processes)
        {
            await process.DisposeAsync().AsTask().WaitAsync(Waits.Step);
        }

        await Emulator.DisposeAsync().AsTask().WaitAsync(Waits.Step);
    }
}
