using System.CommandLine;
using System.Globalization;
using Broker.DevServices.Ssm;
using Broker.DevServices.Ssm.Api;
using Broker.DevServices.Ssm.Faults;

// An AWS SSM Session Manager emulator on 127.0.0.1, for trying the broker's SSM target by hand:
//   dotnet run --project tests/Ssm.Emulator -- --port 0 --credentials ~/.aws/credentials
var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0: a free one)", DefaultValueFactory = _ => 0 };
var credentials = new Option<FileInfo>("--credentials") { Description = "An AWS shared-credentials file whose keys may sign requests", Required = true };
var region = new Option<string>("--region") { Description = "The region requests are signed for", DefaultValueFactory = _ => "us-east-1" };
var instance = new Option<string>("--instance") { Description = "The instance id", DefaultValueFactory = _ => "i-0123456789abcdef0" };
var tags = new Option<string[]>("--tag") { Description = "A tag of the instance, KEY=VALUE (repeatable)", AllowMultipleArgumentsPerToken = false };
var runAs = new Option<string>("--run-as") { Description = "The account the instance's programs run as (needs root), like the agent's ssm-user" };
var shell = new Option<string>("--shell") { Description = "The shell of a terminal session", DefaultValueFactory = _ => "/bin/sh" };
var handshake = new Option<bool>("--handshake") { Description = "Start terminal sessions with a handshake (the agent skips it unless KMS is on)" };
var drop = new Option<double>("--drop") { Description = "Probability of losing an output frame" };
var corrupt = new Option<double>("--corrupt") { Description = "Probability of damaging an output frame (its digest fails)" };
var duplicate = new Option<double>("--duplicate") { Description = "Probability of sending an output frame twice" };
var reorder = new Option<double>("--reorder") { Description = "Probability of sending an output frame after the next one" };
var delay = new Option<int>("--delay-ms") { Description = "Latency added to every output frame" };
var ackDelay = new Option<int>("--ack-delay-ms") { Description = "Latency added to every acknowledgement" };
var seed = new Option<int>("--seed") { Description = "Seed of the fault injector", DefaultValueFactory = _ => 1 };

var root = new RootCommand("AWS SSM Session Manager emulator: the SSM API and the data channel, with this machine as the instance")
{
    port, credentials, region, instance, tags, runAs, shell, handshake, drop, corrupt, duplicate, reorder, delay, ackDelay, seed,
};
root.SetAction(async (parsed, cancellationToken) =>
{
    var (keys, error) = CredentialStore.ReadFile(parsed.GetValue(credentials)!.FullName);
    if (error is not null)
    {
        await Console.Error.WriteLineAsync($"ssm-emulator: {error}").ConfigureAwait(false);
        return 2;
    }

    var instanceTags = new Dictionary<string, string>(StringComparer.Ordinal);
    foreach (var tag in parsed.GetValue(tags) ?? [])
    {
        var equals = tag.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            await Console.Error.WriteLineAsync($"ssm-emulator: --tag '{tag}' must be KEY=VALUE").ConfigureAwait(false);
            return 2;
        }

        instanceTags[tag[..equals]] = tag[(equals + 1)..];
    }

    Broker.DevServices.Ssm.Agent.InstanceAccount? account = null;
    if (parsed.GetValue(runAs) is { } name && (account = Broker.DevServices.Ssm.Agent.InstanceAccount.Find(name)) is null)
    {
        await Console.Error.WriteLineAsync($"ssm-emulator: --run-as: no account '{name}'").ConfigureAwait(false);
        return 2;
    }

    var options = new SsmEmulatorOptions
    {
        RunAs = account,
        Port = parsed.GetValue(port),
        Region = parsed.GetValue(region)!,
        Instances = [new EmulatedInstance(parsed.GetValue(instance)!, instanceTags)],
        Shell = parsed.GetValue(shell)!,
        StandardStreamHandshake = parsed.GetValue(handshake),
        DefaultFaults = new FaultSettings
        {
            DropOutgoing = parsed.GetValue(drop),
            CorruptOutgoing = parsed.GetValue(corrupt),
            DuplicateOutgoing = parsed.GetValue(duplicate),
            ReorderOutgoing = parsed.GetValue(reorder),
            FrameDelay = TimeSpan.FromMilliseconds(parsed.GetValue(delay)),
            AckDelay = TimeSpan.FromMilliseconds(parsed.GetValue(ackDelay)),
            Seed = parsed.GetValue(seed),
        },
    };
    await using var emulator = await SsmEmulator.StartAsync(options, cancellationToken).ConfigureAwait(false);
    foreach (var key in keys)
    {
        emulator.Credentials.Add(key);
    }

    Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"ssm-emulator listening on {emulator.ServiceUrl} (region {options.Region}, instance {options.Instances[0].InstanceId}, {keys.Count} key(s))"));
    try
    {
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
    }
    catch (OperationCanceledException)
    {
        // Ctrl-C or SIGTERM.
    }

    return 0;
});

var parseResult = root.Parse(args);
if (parseResult.Errors.Count > 0)
{
    // Usage errors: one line, exit 2.
    await Console.Error.WriteLineAsync($"ssm-emulator: {parseResult.Errors[0].Message}").ConfigureAwait(false);
    return 2;
}

return await parseResult.InvokeAsync().ConfigureAwait(false);
