using Broker.Core.Native;
using Broker.Server.Configuration;

namespace Broker.Integration.Tests.Configuration;

/// <summary>The data directory is made the broker's alone before it is used, whatever state it was left in.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DataDirectoryAccessTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"broker-data-access-{Guid.NewGuid():n}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void A_new_data_directory_is_created_private()
    {
        var (warnings, error) = DataDirectoryAccess.Secure(_root);

        error.Should().BeNull();
        warnings.Should().BeEmpty();
        FileStatus.Of(_root)!.Value.Permissions.Should().Be(Convert.ToUInt32("700", 8));
    }

    [Fact]
    public void Open_directories_and_files_are_tightened_and_the_broker_says_how_many()
    {
        var day = Path.Combine(_root, "recordings", "2020-01-01");
        Directory.CreateDirectory(day);
        var recording = Path.Combine(day, "s-1.brkrec");
        File.WriteAllText(recording, "x");
        File.WriteAllText(Path.Combine(_root, "recording-key.pem"), "key");
        foreach (var path in new[] { _root, Path.Combine(_root, "recordings"), day })
        {
            File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("777", 8));
        }

        File.SetUnixFileMode(recording, (UnixFileMode)Convert.ToInt32("666", 8));

        var (warnings, error) = DataDirectoryAccess.Secure(_root);

        error.Should().BeNull();
        warnings.Should().ContainSingle().Which.Should().Contain("had 5 entries open to other accounts or owned by them");
        foreach (var path in new[] { _root, Path.Combine(_root, "recordings"), day })
        {
            FileStatus.Of(path)!.Value.Permissions.Should().Be(Convert.ToUInt32("700", 8), path);
        }

        FileStatus.Of(recording)!.Value.Permissions.Should().Be(Convert.ToUInt32("600", 8));
        FileStatus.Of(Path.Combine(_root, "recording-key.pem"))!.Value.Permissions.Should().Be(Convert.ToUInt32("600", 8));
    }

    [Fact]
    public void A_symbolic_link_inside_is_reported_and_its_target_left_alone()
    {
        var outside = Path.Combine(Path.GetTempPath(), $"broker-outside-{Guid.NewGuid():n}");
        File.WriteAllText(outside, "not the broker's");
        File.SetUnixFileMode(outside, (UnixFileMode)Convert.ToInt32("644", 8));
        try
        {
            Directory.CreateDirectory(_root);
            File.CreateSymbolicLink(Path.Combine(_root, "recordings"), outside);

            var (warnings, error) = DataDirectoryAccess.Secure(_root);

            error.Should().BeNull();
            warnings.Should().Contain(w => w.Contains("is a symbolic link; the broker does not follow it", StringComparison.Ordinal));
            FileStatus.Of(outside)!.Value.Permissions.Should().Be(Convert.ToUInt32("644", 8));
        }
        finally
        {
            File.Delete(outside);
        }
    }
}
