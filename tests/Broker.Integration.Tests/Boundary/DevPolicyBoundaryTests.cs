using System.Globalization;
using Broker.Integration.Tests.Fixtures;
using Broker.TestSupport;

namespace Broker.Integration.Tests.Boundary;

/// <summary>
/// Under the dev policy itself, which allows read-only programs on paths outside the broker's data directory: what
/// the policy lets through, the session's account still cannot read (issue 12 read both keys with an allowed
/// <c>grep -v</c>). The policy judges names, not what they resolve to, so each attack goes through a symbolic link
/// into the data directory: a path the policy allows that is the broker's all the same.
/// </summary>
public sealed class DevPolicyBoundaryTests : IClassFixture<BrokerFixture>
{
    private readonly BrokerFixture _broker;

    public DevPolicyBoundaryTests(BrokerFixture broker) => _broker = broker;

    public static TheoryData<string> AllowedReadingForms => new()
    {
        "cat {0}",
        "grep -v -e ----- {0}",
        "head -c 4000 {0}",
        "cut -c2- {0}",
        "tail -n 5 {0}",
        "sort {0}",
    };

    [SkippableTheory]
    [MemberData(nameof(AllowedReadingForms))]
    public async Task Reading_a_key_file_the_policy_allows_still_yields_nothing(string form)
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        foreach (var key in new[] { "dev-issuer-key.pem", "recording-key.pem" })
        {
            var path = Path.Combine(_broker.DataDirectory, key);
            using var scratch = new SessionScratch("key-link-");
            var link = scratch.File(key);
            File.CreateSymbolicLink(link, path);
            var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token($"agent-{Guid.NewGuid():n}")), string.Format(CultureInfo.InvariantCulture, form, link));

            result.Exit!.Code.Should().NotBe(126, "the dev policy allows this form: what stops it must be the account ({0})", result.StderrText);
            result.Exit.Code.Should().NotBe(0);
            foreach (var fragment in Attack.KeyFragments(path))
            {
                (result.StdoutText + result.StderrText).Should().NotContain(fragment);
            }
        }
    }

    [SkippableFact]
    public async Task Listing_the_data_directory_and_the_brokers_process_files_the_policy_allows_yields_nothing()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        var pid = Environment.ProcessId;
        var client = _broker.Client(_broker.Token($"agent-{Guid.NewGuid():n}"));
        using var scratch = new SessionScratch("data-link-");
        var data = scratch.File("data");
        Directory.CreateSymbolicLink(data, _broker.DataDirectory);
        var listing = await ExecResult.RunArgvAsync(client, "ls", "-la", data + "/", Path.Combine(data, "recordings") + "/");
        var maps = await ExecResult.RunArgvAsync(client, "head", "-c", "3000", $"/proc/{pid}/maps");
        var fds = await ExecResult.RunArgvAsync(client, "ls", "-l", $"/proc/{pid}/fd/");

        foreach (var result in new[] { listing, maps, fds })
        {
            result.Exit!.Code.Should().NotBe(126, "the dev policy allows it ({0})", result.StderrText);
            result.Exit.Code.Should().NotBe(0);
        }

        listing.StdoutText.Should().NotContain("recording-key.pem").And.NotContain("recordings.db");
        maps.StdoutText.Should().BeEmpty();
        fds.StdoutText.Should().NotContain("->");
    }
}
