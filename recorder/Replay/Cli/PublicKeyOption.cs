namespace Replay.Cli;

/// <summary>Finds the broker's public key: --public-key FILE, else BROKER_RECORDING_PUBLIC_KEY (a path or the PEM itself).</summary>
internal static class PublicKeyOption
{
    public const string EnvironmentVariable = "BROKER_RECORDING_PUBLIC_KEY";

    /// <summary>The PEM, or null with the reason it is unavailable.</summary>
    public static string? Load(string? path, ReplayConsole console, out string? error)
    {
        error = null;
        var source = path ?? console.Environment(EnvironmentVariable) ?? console.DefaultPublicKey;
        if (string.IsNullOrWhiteSpace(source))
        {
            error = $"no public key: pass --public-key FILE or set {EnvironmentVariable}";
            return null;
        }

        if (source.TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal))
        {
            return source;
        }

        try
        {
            return File.ReadAllText(source);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"cannot read public key {source}: {e.Message}";
            return null;
        }
    }
}
