using System.Buffers.Binary;
using System.Text;
using Broker.Core.Processes;

namespace Broker.Core.Tests.Processes;

/// <summary>The request layout broker-spawn-helper.c reads: nine 32-bit fields, then NUL-terminated strings.</summary>
public sealed class SpawnHelperMessageTests
{
    [Fact]
    public void A_start_carries_path_directory_cgroup_arguments_and_environment_in_that_order()
    {
        var request = new SpawnRequest
        {
            Path = "/bin/sh",
            Arguments = ["sh", "-c", "echo é"],
            Environment = new Dictionary<string, string> { ["A"] = "1" },
            WorkingDirectory = "/home/x",
            Account = new SpawnAccount(70_001, 70_002),
            Umask = 18,
        };

        var (message, error) = SpawnHelperMessage.ForSpawn(request, SpawnHelperFlags.Terminal, "/sys/fs/cgroup/b/s1");

        error.Should().BeNull();
        using (message)
        {
            var bytes = message!.Bytes.ToArray();
            var fields = Enumerable.Range(0, 9).Select(i => BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4))).ToArray();
            fields.Should().Equal(SpawnHelperMessage.Magic, SpawnHelperMessage.SpawnOperation, (uint)(SpawnHelperFlags.Terminal | SpawnHelperFlags.SwitchAccount), 70_001u, 70_002u, 18u, 3u, 1u, (uint)(bytes.Length - 36));
            Encoding.UTF8.GetString(bytes, 36, bytes.Length - 36).Should().Be("/bin/sh\0/home/x\0/sys/fs/cgroup/b/s1\0sh\0-c\0echo é\0A=1\0");
        }
    }

    [Fact]
    public void A_start_without_an_account_or_a_cgroup_leaves_them_empty()
    {
        var (message, _) = SpawnHelperMessage.ForSpawn(new SpawnRequest { Path = "/bin/true", Arguments = ["true"], Environment = new Dictionary<string, string>() }, SpawnHelperFlags.None, null);

        using (message)
        {
            var bytes = message!.Bytes.ToArray();
            BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)).Should().Be(0u, "no account switch");
            Encoding.UTF8.GetString(bytes, 36, bytes.Length - 36).Should().Be("/bin/true\0\0\0true\0");
        }
    }

    [Fact]
    public void A_cleaning_carries_the_home_then_the_shared_places()
    {
        var (message, _) = SpawnHelperMessage.ForCleaning(new SpawnAccount(70_003, 70_003), "/h/broker-s3", ["/tmp", "/dev/shm"], sweep: true);

        using (message)
        {
            var bytes = message!.Bytes.ToArray();
            BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)).Should().Be(SpawnHelperMessage.CleanOperation);
            BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)).Should().Be((uint)(SpawnHelperFlags.SwitchAccount | SpawnHelperFlags.SweepShared));
            BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24)).Should().Be(2u);
            Encoding.UTF8.GetString(bytes, 36, bytes.Length - 36).Should().Be("/h/broker-s3\0/tmp\0/dev/shm\0");
        }
    }

    [Fact]
    public void Strings_too_large_for_one_start_are_refused_with_their_size()
    {
        var huge = new string('x', SpawnHelperMessage.MaxStringBytes);
        var (message, error) = SpawnHelperMessage.ForSpawn(new SpawnRequest { Path = "/bin/echo", Arguments = ["echo", huge], Environment = new Dictionary<string, string>() }, SpawnHelperFlags.None, null);

        message.Should().BeNull();
        error.Should().Contain("more than the 16777216 a start may carry");
    }
}
