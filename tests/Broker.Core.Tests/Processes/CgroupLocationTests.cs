using Broker.Core.Processes;

namespace Broker.Core.Tests.Processes;

public sealed class CgroupLocationTests
{
    private const string HybridHost = """
        30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    [Fact]
    public void Finds_the_cgroup_under_the_unified_mount_of_a_hybrid_host()
    {
        CgroupTree.Locate("/", Lines(HybridHost)).Should().Be("/sys/fs/cgroup/unified");
        CgroupTree.Locate("/system.slice/broker.service", Lines(HybridHost))
            .Should().Be("/sys/fs/cgroup/unified/system.slice/broker.service");
    }

    [Fact]
    public void A_container_mount_of_part_of_the_tree_maps_the_path_below_its_root()
    {
        const string container = "1290 1280 0:29 /kubepods/pod1/abc /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw,nsdelegate";

        CgroupTree.Locate("/kubepods/pod1/abc/app", [container]).Should().Be("/sys/fs/cgroup/app");
        CgroupTree.Locate("/kubepods/pod1/abc", [container]).Should().Be("/sys/fs/cgroup");
    }

    [Fact]
    public void A_cgroup_no_mount_shows_is_not_found()
    {
        const string container = "1290 1280 0:29 /kubepods/pod1/abc /sys/fs/cgroup ro - cgroup2 cgroup rw";

        CgroupTree.Locate("/kubepods/pod1/abcdef", [container]).Should().BeNull("a sibling sharing a name prefix is not below the root");
        CgroupTree.Locate("/kubepods/pod2", [container]).Should().BeNull();
        CgroupTree.Locate("/", Lines(HybridHost).Where(l => !l.Contains("cgroup2", StringComparison.Ordinal))).Should().BeNull();
    }

    [Theory]
    [InlineData("/../../user.slice")]
    [InlineData("/..")]
    [InlineData("relative/path")]
    [InlineData("")]
    public void A_path_that_climbs_out_of_the_namespace_or_is_not_absolute_is_refused(string own)
    {
        CgroupTree.Locate(own, Lines(HybridHost)).Should().BeNull();
    }

    [Fact]
    public void Octal_escapes_in_mountinfo_paths_are_decoded()
    {
        var mount = CgroupTree.ParseCgroup2Mount(@"40 30 0:37 /a\040b /mnt/cgroup\040two\134x rw - cgroup2 cgroup2 rw");

        mount.Should().Be(("/a b", @"/mnt/cgroup two\x"));
    }

    [Theory]
    [InlineData("31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu")]
    [InlineData("22 1 0:21 / /proc rw - proc proc rw")]
    [InlineData("no separator here")]
    [InlineData("40 30 - cgroup2 cgroup2 rw")]
    [InlineData("")]
    public void Lines_that_are_not_whole_cgroup2_mounts_are_skipped(string line)
    {
        CgroupTree.ParseCgroup2Mount(line).Should().BeNull();
    }

    [Fact]
    public void Optional_fields_before_the_separator_do_not_shift_the_mount_point()
    {
        var mount = CgroupTree.ParseCgroup2Mount("40 30 0:37 / /sys/fs/cgroup rw,nosuid shared:9 master:1 - cgroup2 cgroup2 rw");

        mount.Should().Be(("/", "/sys/fs/cgroup"));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
