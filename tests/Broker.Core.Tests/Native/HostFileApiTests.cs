using System.Runtime.Versioning;
using Broker.Core.Accounts;
using Broker.Core.Native;

namespace Broker.Core.Tests.Native;

/// <summary>
/// The native layer's public file API, as the server uses it: a file's identity tells a replacement by rename from
/// an edit in place, ownership and mode changes land on the file (never through a symbolic link), and failures are
/// values, not exceptions.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class HostFileApiTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("host-file-api-");

    private string PathOf(string name) => Path.Combine(_root.FullName, name);

    [Fact]
    public void A_file_read_twice_unchanged_has_the_same_identity_and_its_size()
    {
        var path = PathOf("policy.yaml");
        File.WriteAllText(path, "roles: []\n");

        var first = FileIdentity.Of(path);
        var second = FileIdentity.Of(path);

        first.Should().NotBeNull();
        second.Should().Be(first);
        first!.Value.Size.Should().Be(10);
    }

    [Fact]
    public void A_file_replaced_by_rename_has_a_new_inode_and_one_edited_in_place_keeps_it()
    {
        var path = PathOf("policy.yaml");
        File.WriteAllText(path, "roles: []\n");
        var original = FileIdentity.Of(path)!.Value;

        File.WriteAllText(path, "roles: [a]\n");
        var edited = FileIdentity.Of(path)!.Value;
        var replacement = PathOf("policy.yaml.new");
        File.WriteAllText(replacement, "roles: [b]\n");
        File.Move(replacement, path, overwrite: true);
        var replaced = FileIdentity.Of(path)!.Value;

        edited.Inode.Should().Be(original.Inode);
        edited.Device.Should().Be(original.Device);
        replaced.Inode.Should().NotBe(original.Inode);
    }

    [Fact]
    public void A_missing_path_has_no_identity_and_no_status()
    {
        FileIdentity.Of(PathOf("missing")).Should().BeNull();
        FileStatus.Of(PathOf("missing")).Should().BeNull();
    }

    [Fact]
    public void Changing_the_mode_sets_exactly_the_permission_bits()
    {
        var path = PathOf("key.pem");
        File.WriteAllText(path, "secret");

        FileOwnership.ChangeMode(path, Convert.ToUInt32("640", 8)).Should().BeNull();

        FileStatus.Of(path)!.Value.Permissions.Should().Be(Convert.ToUInt32("640", 8));
    }

    [SkippableFact]
    public void Giving_a_symbolic_link_away_changes_the_link_and_never_its_target()
    {
        Skip.If(AccountPrivileges.BrokerUid != 0, "only root can give a file to another account");
        var target = PathOf("target");
        File.WriteAllText(target, "x");
        var link = PathOf("link");
        File.CreateSymbolicLink(link, target);
        const uint Nobody = 65534;

        FileOwnership.ChangeOwner(link, Nobody, Nobody).Should().BeNull();

        FileStatus.Of(link)!.Value.Uid.Should().Be(Nobody);
        FileStatus.Of(target)!.Value.Uid.Should().Be(0, "the link's target keeps its owner");
    }

    [Fact]
    public void A_change_that_fails_returns_the_reason_instead_of_throwing()
    {
        var missing = PathOf("missing");

        FileOwnership.ChangeMode(missing, Convert.ToUInt32("600", 8)).Should().Contain("errno 2");
        FileOwnership.ChangeOwner(missing, AccountPrivileges.BrokerUid, AccountPrivileges.BrokerGid).Should().Contain("errno 2");
    }

    public void Dispose() => _root.Delete(recursive: true);
}
