using System.Runtime.Versioning;
using Broker.Core.Accounts;
using Broker.Core.Native;

namespace Broker.Core.Tests.Accounts;

/// <summary>
/// A home counts as pristine (no cleaner needed) only when it is exactly what cleaning leaves: private, holding an
/// empty private <c>tmp</c> and nothing else. The account here is the test's own uid, so that real files are judged.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class PristineHomeTests : IDisposable
{
    private static readonly UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("pristine-home-");
    private readonly SessionAccount _account;

    public PristineHomeTests()
    {
        var home = Path.Combine(_root.FullName, "home");
        Directory.CreateDirectory(home, Private);
        Directory.CreateDirectory(Path.Combine(home, "tmp"), Private);
        var owner = FileStatus.Of(home)!.Value;
        _account = new SessionAccount("owner", owner.Uid, owner.Gid, home);
    }

    private string Home => _account.Home;

    [Fact]
    public void A_home_holding_only_an_empty_private_tmp_is_pristine()
    {
        PristineHome.Holds(_account).Should().BeTrue();
    }

    [Fact]
    public void A_file_left_in_the_home_is_not_pristine()
    {
        File.WriteAllText(Path.Combine(Home, ".bash_history"), "ls\n");

        PristineHome.Holds(_account).Should().BeFalse();
    }

    [Fact]
    public void A_file_left_in_tmp_is_not_pristine()
    {
        File.WriteAllText(Path.Combine(Home, "tmp", ".hidden"), "x");

        PristineHome.Holds(_account).Should().BeFalse();
    }

    [Fact]
    public void A_home_opened_to_others_is_not_pristine()
    {
        File.SetUnixFileMode(Home, Private | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);

        PristineHome.Holds(_account).Should().BeFalse();
    }

    [Fact]
    public void A_tmp_opened_to_others_is_not_pristine()
    {
        File.SetUnixFileMode(Path.Combine(Home, "tmp"), Private | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.StickyBit);

        PristineHome.Holds(_account).Should().BeFalse();
    }

    [Fact]
    public void A_tmp_that_is_a_link_to_an_empty_private_directory_is_not_pristine()
    {
        var elsewhere = Directory.CreateDirectory(Path.Combine(_root.FullName, "elsewhere"), Private);
        Directory.Delete(Path.Combine(Home, "tmp"));
        Directory.CreateSymbolicLink(Path.Combine(Home, "tmp"), elsewhere.FullName);

        PristineHome.Holds(_account).Should().BeFalse();
    }

    [Fact]
    public void A_home_of_another_owner_is_not_pristine()
    {
        var someoneElse = _account with { Uid = _account.Uid + 1 };

        PristineHome.Holds(someoneElse).Should().BeFalse();
    }

    [Fact]
    public void A_missing_home_is_not_pristine()
    {
        Directory.Delete(Home, recursive: true);

        PristineHome.Holds(_account).Should().BeFalse();
    }

    public void Dispose() => _root.Delete(recursive: true);
}
