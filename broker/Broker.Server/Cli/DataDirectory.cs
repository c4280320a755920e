using System.CommandLine;

namespace Broker.Server.Cli;

/// <summary>
/// The <c>--data</c> option of <c>serve</c> and <c>token</c>. A relative path is taken from the
/// working directory; under <c>dotnet run</c> that is the directory the command was typed in
/// (the project sets <c>RunWorkingDirectory</c>), so both ways of starting the broker use one
/// data directory.
/// </summary>
internal static class DataDirectory
{
    /// <summary>The default, relative to the working directory.</summary>
    public const string Default = ".broker-data";

    public static Option<DirectoryInfo?> CreateOption(string description) => new("--data") { Description = description };

    /// <summary>The absolute data directory for <paramref name="given"/> (or the default).</summary>
    public static string Resolve(DirectoryInfo? given) => given?.FullName ?? Path.GetFullPath(Default);
}
