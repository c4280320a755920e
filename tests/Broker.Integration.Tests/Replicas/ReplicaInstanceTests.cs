using Broker.Server.Replicas;

namespace Broker.Integration.Tests.Replicas;

/// <summary>
/// The instance a replica claims its id with: made once per data directory and kept there, the same for every caller
/// in the process, and refused while another open file holds the data directory's lock.
/// </summary>
public sealed class ReplicaInstanceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("replica-instance-").FullName;

    [Fact]
    public void A_data_directory_gets_one_instance_kept_in_its_file()
    {
        var data = Directory.CreateDirectory(Path.Combine(_root, "made")).FullName;

        var (first, error) = ReplicaInstance.For(data);
        var (again, _) = ReplicaInstance.For(data + "/.");

        error.Should().BeNull();
        first.Should().MatchRegex("^[0-9a-f]{16}$");
        again.Should().Be(first, "the start-up claim and the host's membership are one instance");
        var read = () => File.ReadAllText(Path.Combine(data, ReplicaInstance.FileName));
        read.Should().Throw<IOException>("the file stays locked for as long as the process runs");
    }

    [Fact]
    public void An_instance_recorded_by_an_earlier_run_is_taken_back()
    {
        var data = Directory.CreateDirectory(Path.Combine(_root, "earlier")).FullName;
        File.WriteAllText(Path.Combine(data, ReplicaInstance.FileName), "0123456789abcdef\n");

        ReplicaInstance.For(data).Id.Should().Be("0123456789abcdef");
    }

    [Fact]
    public void A_data_directory_locked_by_another_open_file_is_refused_and_its_file_left_alone()
    {
        var data = Directory.CreateDirectory(Path.Combine(_root, "locked")).FullName;
        var path = Path.Combine(data, ReplicaInstance.FileName);
        File.WriteAllText(path, "fedcba9876543210\n");
        using var other = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);

        var (id, error) = ReplicaInstance.For(data);

        id.Should().BeNull();
        error.Should().Be($"another broker is running on the data directory {data} (it holds {path} locked): stop it, or give this one its own --data");
        using var reader = new StreamReader(other);
        reader.ReadToEnd().Should().Be("fedcba9876543210\n");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
