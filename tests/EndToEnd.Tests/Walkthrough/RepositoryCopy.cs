namespace EndToEnd.Tests.Walkthrough;

/// <summary>
/// What a fresh clone would hold: every file git tracks or would track (not ignored), copied from
/// the working tree (so an edit not yet committed is tested too) to a new directory, without any
/// build output. Removed on disposal.
/// </summary>
public sealed class RepositoryCopy : IDisposable
{
    private RepositoryCopy(string root) => Root = root;

    public string Root { get; }

    public static async Task<RepositoryCopy> CreateAsync()
    {
        var source = BuiltTools.RepositoryRoot;
        var (code, stdout, stderr) = await BuiltTools.RunAsync("git", ["-C", source, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
        code.Should().Be(0, stderr);
        var root = Path.Combine(Path.GetTempPath(), "e2e-clone-" + Guid.NewGuid().ToString("n"));
        foreach (var relative in stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var from = Path.Combine(source, relative);
            if (!File.Exists(from))
            {
                // Deleted in the working tree, not yet committed.
                continue;
            }

            var to = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(to, File.GetUnixFileMode(from));
            }
        }

        return new RepositoryCopy(root);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the OS cleans temporary directories.
        }
    }
}
