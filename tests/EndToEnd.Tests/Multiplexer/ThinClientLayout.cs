namespace EndToEnd.Tests.Multiplexer;

/// <summary>
/// The published layout of <c>agent-client</c>, made from the built executables: a directory holding the thin
/// executable under the name <c>agent-client</c> and the full client beside it as <c>agent-client.full</c> (a link
/// to the built one). The thin executable is copied, not linked: it finds the full client next to its own file.
/// </summary>
public static class ThinClientLayout
{
    private static readonly Lazy<string> s_directory = new(() => Make(withFullClient: true));

    /// <summary>The <c>agent-client</c> a user runs: the thin executable, the full client beside it.</summary>
    public static string AgentClient => Path.Combine(s_directory.Value, "agent-client");

    /// <summary>A directory with the thin executable alone (a broken installation); the caller deletes it.</summary>
    public static string WithoutFullClient() => Make(withFullClient: false);

    private static string Make(bool withFullClient)
    {
        var directory = Path.Combine(Path.GetTempPath(), "thin-e2e-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(directory);
        var built = Path.GetDirectoryName(BuiltTools.AgentClientThin)!;
        foreach (var file in Directory.EnumerateFiles(built))
        {
            var name = Path.GetFileName(file);
            File.Copy(file, Path.Combine(directory, name == "agent-client-thin" ? "agent-client" : name));
        }

        if (withFullClient)
        {
            File.CreateSymbolicLink(Path.Combine(directory, "agent-client.full"), BuiltTools.AgentClient);
        }

        return directory;
    }
}
