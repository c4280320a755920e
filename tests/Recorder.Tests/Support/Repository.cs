namespace Recorder.Tests.Support;

/// <summary>Paths in the repository the tests run from.</summary>
internal static class Repository
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Broker.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("Broker.sln not found above the test binaries");
    });

    /// <summary>The directory that holds Broker.sln.</summary>
    public static string Root => s_root.Value;

    /// <summary>Debug or Release: the configuration this test assembly was built with.</summary>
    public static string Configuration => new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
}
