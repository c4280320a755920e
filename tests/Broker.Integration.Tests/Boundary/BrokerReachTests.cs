using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Broker.Integration.Tests.Fixtures;
using Broker.TestSupport;

namespace Broker.Integration.Tests.Boundary;

/// <summary>
/// An agent whose policy lets it run anything still cannot reach the broker: its keys, its data directory, its
/// memory and environment, or its processes. Each attack is also run once on 'unconfined' (the broker's own
/// account) where it must succeed, which shows the checks would notice a missing boundary.
/// </summary>
public sealed class BrokerReachTests : IClassFixture<BoundaryBrokerFixture>
{
    private readonly BoundaryBrokerFixture _broker;

    public BrokerReachTests(BoundaryBrokerFixture broker) => _broker = broker;

    public static TheoryData<string> KeyReadingForms => new()
    {
        "cat {0}",
        "grep -v -e ----- {0}",
        "head -c 4000 {0}",
        "cut -c2- {0}",
        "base64 -w0 {0}",
        "tac {0}",
        "dd if={0} bs=64 status=none",
        "cp {0} \"$TMPDIR/copy\" && cat \"$TMPDIR/copy\"",
        "sed -n p < {0}",
    };

    [SkippableTheory]
    [MemberData(nameof(KeyReadingForms))]
    public async Task No_key_file_can_be_read_in_any_form(string form)
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        foreach (var key in new[] { _broker.DevIssuerKey, _broker.RecordingKey })
        {
            var before = SHA256.HashData(await File.ReadAllBytesAsync(key));
            // Through a link: the policy protects the data directory by name, and the account must hold on its own.
            using var scratch = new SessionScratch("key-link-");
            var link = scratch.File("key");
            File.CreateSymbolicLink(link, key);
            var (output, code) = await Attack.RunAsync(_broker, string.Format(CultureInfo.InvariantCulture, form, link));

            code.Should().NotBe(0, "reading {0} must fail", key);
            foreach (var fragment in Attack.KeyFragments(key))
            {
                output.Should().NotContain(fragment, "no byte of {0} may reach the session", key);
            }

            SHA256.HashData(await File.ReadAllBytesAsync(key)).Should().Equal(before, "the key is untouched");
        }
    }

    [SkippableFact]
    public async Task A_key_reading_form_leaks_the_key_where_sessions_run_as_the_broker()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        // The control: where sessions run as the broker, a plain copy takes both keys (checked by the copies' bytes, as
        // the masker would hide a printed key). The policy protects the data directory by name, so the keys are
        // reached through links it cannot see through, as an attacker would.
        using var scratch = new SessionScratch("key-link-");
        var devIssuerKey = scratch.File("issuer");
        var recordingKey = scratch.File("recording");
        File.CreateSymbolicLink(devIssuerKey, _broker.DevIssuerKey);
        File.CreateSymbolicLink(recordingKey, _broker.RecordingKey);
        var (output, code) = await Attack.RunAsync(_broker, $"cp {devIssuerKey} {scratch.File("issuer-copy")}; cp {recordingKey} {scratch.File("recording-copy")}", target: "unconfined");

        code.Should().Be(0, output);
        (await File.ReadAllBytesAsync(scratch.File("issuer-copy"))).Should().Equal(await File.ReadAllBytesAsync(_broker.DevIssuerKey));
        (await File.ReadAllBytesAsync(scratch.File("recording-copy"))).Should().Equal(await File.ReadAllBytesAsync(_broker.RecordingKey));
    }

    [SkippableFact]
    public async Task The_brokers_memory_environment_and_descriptors_are_out_of_reach()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        var pid = Environment.ProcessId;
        var (own, _) = await Attack.RunAsync(_broker, "env");
        var secrets = BrokerEnvironment().Where(e => e.Length >= 6 && !own.Contains(e, StringComparison.Ordinal)).ToList();
        secrets.Should().NotBeEmpty("the broker's environment differs from a session's");

        var (output, _) = await Attack.RunAsync(_broker,
            $"cat /proc/{pid}/environ; tr '\\0' '\\n' < /proc/{pid}/environ; grep -a -r --include='env*' . /proc/{pid}/; "
            + $"ls -l /proc/{pid}/fd/; head -c 2000 /proc/{pid}/maps; {Attack.MemoryScan(pid, _broker.MemoryCanary)}");

        foreach (var secret in secrets)
        {
            output.Should().NotContain(secret);
        }

        output.Should().NotContain("FOUND\n").And.NotContain("socket:[").And.NotContain("anon_inode:");
        output.Should().NotContain(System.Text.Encoding.ASCII.GetString(_broker.MemoryCanary));
    }

    [SkippableFact]
    public async Task The_brokers_memory_and_environment_are_read_where_sessions_run_as_the_broker()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        var pid = Environment.ProcessId;
        var (output, _) = await Attack.RunAsync(_broker, $"tr '\\0' '\\n' < /proc/{pid}/environ; {Attack.MemoryScan(pid, _broker.MemoryCanary)}", target: "unconfined");

        output.Should().Contain(BrokerEnvironment().First(e => e.Length >= 6));
        output.Should().Contain("FOUND\n").And.NotContain("NOT FOUND");
    }

    [SkippableFact]
    public async Task The_data_directory_cannot_be_listed_written_or_emptied()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        var earlier = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token($"earlier-{Guid.NewGuid():n}")), "echo recorded");
        var other = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token($"other-{Guid.NewGuid():n}")), "echo also recorded");
        var recording = await SealedRecording.WaitAsync(_broker, earlier.SessionId);
        var before = SHA256.HashData(await File.ReadAllBytesAsync(recording));
        var data = _broker.DataDirectory;
        var stolen = Path.Combine(Path.GetTempPath(), $"stolen-{Guid.NewGuid():n}");

        var (output, code) = await Attack.RunAsync(_broker,
            $"ls -la {data}; ls -R {data}/recordings; find {data}; touch {data}/forged; touch {data}/recordings/forged.brkrec; "
            + $"cp /etc/hostname {data}/recordings/x.brkrec; mv {recording} {stolen}; echo junk >> {recording}; rm -f {recording}; "
            + $"rm -rf {data}/recordings; chmod 777 {data}");

        code.Should().NotBe(0);
        output.Should().NotContain("dev-issuer-key.pem").And.NotContain("recording-key.pem").And.NotContain("recordings.db")
            .And.NotContain(other.SessionId, "another session's recording is not even listed");
        File.Exists(Path.Combine(data, "forged")).Should().BeFalse();
        File.Exists(Path.Combine(_broker.RecordingsDirectory, "forged.brkrec")).Should().BeFalse();
        File.Exists(Path.Combine(_broker.RecordingsDirectory, "x.brkrec")).Should().BeFalse();
        File.Exists(stolen).Should().BeFalse();
        SHA256.HashData(await File.ReadAllBytesAsync(recording)).Should().Equal(before, "the recording is untouched");
        Broker.Core.Native.FileStatus.Of(data)!.Value.Permissions.Should().Be(Convert.ToUInt32("700", 8));
    }

    [SkippableFact]
    public async Task Signals_reach_neither_the_broker_nor_its_helper_nor_its_other_programs()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        using var bystander = Process.Start(new ProcessStartInfo("sleep", "600"))!;
        using var control = Process.Start(new ProcessStartInfo("sleep", "601"))!;
        var helper = _broker.Containment.Helper.ProcessId;
        helper.Should().BePositive();
        try
        {
            var (output, code) = await Attack.RunAsync(_broker,
                $"kill -STOP {bystander.Id}; kill -KILL {bystander.Id}; kill -KILL {helper}; kill -TERM {helper}; kill -CONT {Environment.ProcessId}");

            code.Should().NotBe(0, output);
            ProcessProbe.IsAlive(bystander.Id).Should().BeTrue();
            State(bystander.Id).Should().NotBe("T", "the program was not stopped");
            _broker.Containment.Helper.ProcessId.Should().Be(helper, "the spawn helper was neither killed nor restarted");
            ProcessProbe.IsAlive(helper).Should().BeTrue();
            (await ExecResult.RunScriptAsync(_broker.Client(_broker.Token()), "echo still-serving")).StdoutText.Should().Be("still-serving\n");

            // The control: the same kill from the broker's own account does land.
            await Attack.RunAsync(_broker, $"kill -KILL {control.Id}", target: "unconfined");
            await ProcessProbe.WaitGoneAsync(control.Id);
        }
        finally
        {
            bystander.Kill();
            control.Kill();
        }
    }

    private static string State(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
    }

    private static string[] BrokerEnvironment() =>
        File.ReadAllText("/proc/self/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries);
}
