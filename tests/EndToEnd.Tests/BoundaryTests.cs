using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Broker.TestSupport;

namespace EndToEnd.Tests;

/// <summary>
/// The built broker and agent-client as processes: an agent whose policy has a hole still cannot read the keys, the
/// data directory or the broker's process, nor take the broker down with a signal; the data directory is the
/// broker's alone; keys are read once.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class BoundaryTests
{
    private static readonly string Hole = AgentPolicy.Allowing("\"*\"");

    [SkippableFact]
    public async Task An_agent_with_a_policy_hole_cannot_read_the_keys_the_data_or_the_brokers_process_nor_signal_it()
    {
        Skip.IfNot(Host.IsRoot, "sessions get accounts of their own only where the broker runs as root");
        var canary = "canary-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        await using var broker = new BrokerProcess { PolicyYaml = Hole, Environment = new Dictionary<string, string> { ["BROKER_E2E_CANARY"] = canary } };
        await broker.InitializeAsync();
        var token = await broker.TokenAsync("intruder");
        var data = broker.DataDirectory;
        var keys = new[] { Path.Combine(data, "dev-issuer-key.pem"), Path.Combine(data, "recording-key.pem") };
        var pid = broker.ProcessId.ToString(CultureInfo.InvariantCulture);

        // The policy protects the data directory by name; a link it cannot see through is the hole left to the account.
        using var links = new SessionScratch("boundary-links-");
        var dataLink = links.File("data");
        Directory.CreateSymbolicLink(dataLink, data);
        var keyLinks = keys.Select(k => Path.Combine(dataLink, Path.GetFileName(k))).ToArray();

        var (_, stdout, stderr) = await broker.ClientAsync(token, null, "exec", "--target", "local", "--script",
            $"grep -v -e ----- {keyLinks[0]}; base64 -w0 {keyLinks[1]}; head -c 3000 {keyLinks[0]}; cut -c2- {keyLinks[1]}; ls -la {dataLink}/; "
            + $"cat /proc/{pid}/environ; grep -a -r --include=environ . /proc/{pid}/; ls -l /proc/{pid}/fd; rm -rf {dataLink}/recordings; touch {dataLink}/forged; "
            + $"kill -STOP {pid}; kill -KILL {pid}; echo attack-done");
        var output = stdout + stderr;

        output.Should().Contain("attack-done");
        foreach (var key in keys)
        {
            var text = await File.ReadAllTextAsync(key);
            foreach (var line in text.Split('\n').Where(l => l.Length > 40 && !l.StartsWith("-----", StringComparison.Ordinal)))
            {
                output.Should().NotContain(line[8..40]);
            }

            output.Should().NotContain(Convert.ToBase64String(Encoding.ASCII.GetBytes(text))[60..100]);
        }

        output.Should().NotContain(canary).And.NotContain("recordings.db").And.NotContain("socket:[");
        Directory.Exists(Path.Combine(data, "recordings")).Should().BeTrue();
        File.Exists(Path.Combine(data, "forged")).Should().BeFalse();
        broker.HasExited.Should().BeFalse("the broker was not killed");
        (await broker.ClientAsync(token, null, "exec", "--target", "local", "--", "echo", "still-serving")).Stdout.Should().Be("still-serving\n");
    }

    [SkippableFact]
    public async Task The_dev_target_runs_each_session_as_an_account_of_its_own_and_says_so_at_start()
    {
        Skip.IfNot(Host.IsRoot, "sessions get accounts of their own only where the broker runs as root");
        await using var broker = new BrokerProcess();
        await broker.InitializeAsync();
        var token = await broker.TokenAsync("walker");

        var (code, stdout, stderr) = await broker.ClientAsync(token, null, "exec", "--target", "local", "--", "whoami");

        code.Should().Be(0, stderr);
        stdout.Should().StartWith("broker-s");
        broker.Log.Should().Contain("broker: target 'local' runs each session as an account of its own: broker-s0 to broker-s999");
        broker.Log.Should().NotContain("WARNING");
    }

    [SkippableFact]
    public async Task The_data_directory_is_made_the_brokers_alone_at_start_and_stays_so()
    {
        Skip.IfNot(Host.IsRoot, "the test loosens and checks file owners and modes as root");
        var broker = new BrokerProcess();
        // A data directory left open by an earlier run or a careless copy.
        Directory.CreateDirectory(Path.Combine(broker.DataDirectory, "recordings", "2020-01-01"));
        await File.WriteAllTextAsync(Path.Combine(broker.DataDirectory, "recordings", "2020-01-01", "old.brkrec"), "old");
        (await BuiltTools.RunAsync("chmod", ["-R", "a+rwX", broker.DataDirectory])).Code.Should().Be(0);
        (await BuiltTools.RunAsync("chown", ["65534:65534", Path.Combine(broker.DataDirectory, "recordings", "2020-01-01", "old.brkrec")])).Code.Should().Be(0);
        await using (broker)
        {
            await broker.InitializeAsync();
            var token = await broker.TokenAsync("writer", "shell-users");
            (await broker.ClientAsync(token, "echo recorded\nexit\n", "shell", "--target", "local")).Code.Should().Be(0);
            (await broker.ClientAsync(token, null, "exec", "--target", "local", "--", "echo", "recorded")).Code.Should().Be(0);

            broker.Log.Should().Contain("WARNING: the data directory").And.Contain("are now the broker's alone");
            var (code, listing, _) = await BuiltTools.RunAsync("find", [broker.DataDirectory, "-printf", "%y %m %u %p\\n"]);
            code.Should().Be(0);
            foreach (var entry in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                entry.Should().MatchRegex(@"^(d 700|f 600) root ", "every directory is 0700 and every file 0600, the broker's");
            }

            listing.Should().Contain(".brkrec").And.Contain("recordings.db");
        }
    }

    [Fact]
    public async Task Keys_are_read_once_at_start_so_removing_them_changes_nothing_until_a_restart()
    {
        await using var broker = new BrokerProcess { PolicyYaml = AgentPolicy.Allowing("echo") };
        await broker.InitializeAsync();
        var token = await broker.TokenAsync("steady");
        var keys = new[] { Path.Combine(broker.DataDirectory, "dev-issuer-key.pem"), Path.Combine(broker.DataDirectory, "recording-key.pem") };
        foreach (var key in keys)
        {
            File.Delete(key);
        }

        (await broker.ClientAsync(token, null, "exec", "--target", "local", "--", "echo", "before-reload")).Stdout.Should().Be("before-reload\n");
        // A changed file (replaced by rename, as reloads require): an unchanged one would not be loaded again at all.
        var replacement = broker.PolicyFile + ".new";
        await File.WriteAllTextAsync(replacement, AgentPolicy.Allowing("echo") + "\n# reloaded\n");
        File.Move(replacement, broker.PolicyFile, overwrite: true);
        (await BuiltTools.RunAsync("/bin/kill", ["-HUP", broker.ProcessId.ToString(CultureInfo.InvariantCulture)])).Code.Should().Be(0);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
        {
            while (!broker.Log.Contains("Policy reloaded", StringComparison.Ordinal))
            {
                await Task.Delay(50, timeout.Token);
            }
        }

        (await broker.ClientAsync(token, null, "exec", "--target", "local", "--", "echo", "after-reload")).Stdout.Should().Be("after-reload\n");
        keys.Should().OnlyContain(k => !File.Exists(k), "neither the reload nor a session read a key file again");
        var recordings = Directory.EnumerateFiles(Path.Combine(broker.DataDirectory, "recordings"), "*.brkrec", SearchOption.AllDirectories).ToList();
        recordings.Should().NotBeEmpty();
        foreach (var recording in recordings)
        {
            var (code, stdout, stderr) = await BuiltTools.RunAsync(BuiltTools.Replay, ["verify", recording],
                environment: new Dictionary<string, string> { ["BROKER_RECORDING_PUBLIC_KEY"] = Path.Combine(broker.DataDirectory, "recording-key.pub.pem") });
            code.Should().Be(0, stdout + stderr);
            stdout.Should().Contain("intact and sealed", "the recording was signed with the key read at start");
        }
    }
}
