namespace EndToEnd.Tests;

/// <summary>What the machine running the tests allows.</summary>
public static class Host
{
    /// <summary>Whether the tests run as root: only then does the broker give each session an account of its own.</summary>
    public static bool IsRoot => File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal))
        .Split('\t', StringSplitOptions.RemoveEmptyEntries)[2] == "0";
}
