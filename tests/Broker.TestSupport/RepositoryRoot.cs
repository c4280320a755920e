namespace Broker.TestSupport;

/// <summary>Finds the repository checkout the tests run from.</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(Find);

    /// <summary>The directory holding Broker.sln.</summary>
    public static string Path => Root.Value;

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Broker.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Broker.sln above {AppContext.BaseDirectory}");
    }
}
