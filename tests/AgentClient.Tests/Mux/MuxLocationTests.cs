using System.Net.Sockets;
using AgentClient.Mux;

namespace AgentClient.Tests.Mux;

public sealed class MuxLocationTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly string _root = Directory.CreateTempSubdirectory("mux-location-").FullName;
    private readonly uint _uid = MuxNative.GetUid();

    [Fact]
    public void A_private_directory_of_ones_own_is_accepted_and_made_if_missing()
    {
        var directory = Path.Combine(_root, "a", "mux");

        MuxLocation.PrepareDirectory(directory, _uid).Should().BeNull();

        File.GetUnixFileMode(directory).Should().Be(Private);
    }

    [Theory]
    [InlineData(UnixFileMode.GroupRead | UnixFileMode.GroupExecute)]
    [InlineData(UnixFileMode.OtherExecute)]
    [InlineData(UnixFileMode.GroupWrite)]
    public void A_directory_others_can_reach_is_refused(UnixFileMode extra)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_root, "loose")).FullName;
        File.SetUnixFileMode(directory, Private | extra);

        MuxLocation.CheckDirectory(directory, _uid).Should().Contain("mode");
        MuxLocation.PrepareDirectory(directory, _uid).Should().Contain("mode", "an existing directory is not repaired, it is refused");
    }

    [Fact]
    public void A_directory_of_another_uid_is_refused()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_root, "theirs")).FullName;
        File.SetUnixFileMode(directory, Private);

        MuxLocation.CheckDirectory(directory, _uid + 1).Should().Contain($"belongs to uid {_uid}");
    }

    [Fact]
    public void A_link_to_a_private_directory_is_refused()
    {
        var real = Directory.CreateDirectory(Path.Combine(_root, "real")).FullName;
        File.SetUnixFileMode(real, Private);
        var link = Path.Combine(_root, "link");
        File.CreateSymbolicLink(link, real);

        MuxLocation.CheckDirectory(link, _uid).Should().Contain("not a directory");
    }

    [Fact]
    public void Only_a_socket_of_ones_own_with_no_access_for_others_is_accepted()
    {
        var path = Path.Combine(_root, "s.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        MuxLocation.CheckSocket(path, _uid).Should().BeNull();
        MuxLocation.CheckSocket(path, _uid + 1).Should().Contain("belongs to uid");

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite);
        MuxLocation.CheckSocket(path, _uid).Should().Contain("mode");

        var file = Path.Combine(_root, "plain.sock");
        File.WriteAllText(file, string.Empty);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        MuxLocation.CheckSocket(file, _uid).Should().Contain("not a socket");
    }

    [Fact]
    public void Each_broker_has_its_own_socket_and_lock()
    {
        var a = MuxLocation.SocketPath(_root, MuxArguments.Key("http://127.0.0.1:1", null, null, null, _ => null));
        var b = MuxLocation.SocketPath(_root, MuxArguments.Key("http://127.0.0.1:2", null, null, null, _ => null));

        a.Should().NotBeNull().And.NotBe(b);
        MuxLocation.LockPath(a!).Should().EndWith(".lock").And.StartWith(_root);
        MuxLocation.SocketPath(new string('d', 120), "k").Should().BeNull("a Unix socket path holds at most 107 bytes");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
