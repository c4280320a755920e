using System.Diagnostics;

namespace Broker.Integration.Tests.Limits;

/// <summary>A small ext4 file system in a file, mounted on a directory (root only): a disk that really fills up.</summary>
internal sealed class LoopFilesystem : IAsyncDisposable
{
    private readonly string _image;

    private LoopFilesystem(string image, string mountPoint)
    {
        _image = image;
        MountPoint = mountPoint;
    }

    public string MountPoint { get; }

    public static async Task<LoopFilesystem> MountAsync(string mountPoint, long bytes)
    {
        var image = Path.Combine(Path.GetTempPath(), "broker-loop-" + Guid.NewGuid().ToString("n") + ".img");
        await using (var file = new FileStream(image, FileMode.CreateNew))
        {
            file.SetLength(bytes);
        }

        await RunAsync("mkfs.ext4", "-q", "-F", image);
        Directory.CreateDirectory(mountPoint);
        await RunAsync("mount", "-o", "loop", image, mountPoint);
        return new LoopFilesystem(image, mountPoint);
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync("umount", MountPoint);
        File.Delete(_image);
        Directory.Delete(MountPoint, recursive: true);
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        process.ExitCode.Should().Be(0, $"{program} {string.Join(' ', arguments)}: {await error}");
    }
}
