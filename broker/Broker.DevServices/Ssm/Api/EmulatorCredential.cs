using System.Collections.Concurrent;

namespace Broker.DevServices.Ssm.Api;

/// <summary>A key the emulator accepts signatures from.</summary>
/// <param name="AccessKeyId">The access key id.</param>
/// <param name="SecretAccessKey">The secret.</param>
/// <param name="SessionToken">The session token temporary credentials must present; null for long-term keys.</param>
public sealed record EmulatorCredential(string AccessKeyId, string SecretAccessKey, string? SessionToken)
{
    /// <summary>Names the key id only, so the secret never reaches a log.</summary>
    /// <returns>The redacted text.</returns>
    public override string ToString() => $"EmulatorCredential {{ AccessKeyId = {AccessKeyId} }}";
}

/// <summary>The keys the emulator knows, from a credentials file and from tests.</summary>
public sealed class CredentialStore
{
    private readonly ConcurrentDictionary<string, EmulatorCredential> _keys = new(StringComparer.Ordinal);
    private Func<string, EmulatorCredential?>? _issuer;

    /// <summary>Adds (or replaces) a key.</summary>
    /// <param name="credential">The key.</param>
    public void Add(EmulatorCredential credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        _keys[credential.AccessKeyId] = credential;
    }

    /// <summary>Finds a key by id.</summary>
    /// <param name="accessKeyId">The id.</param>
    /// <returns>The key, or null.</returns>
    public EmulatorCredential? Find(string accessKeyId) =>
        _keys.TryGetValue(accessKeyId, out var key) ? key : Volatile.Read(ref _issuer)?.Invoke(accessKeyId);

    /// <summary>
    /// Also accepts the keys <paramref name="issuer"/> knows, looked up when a request names them: temporary
    /// keys another emulator issues while the test runs (an STS's assumed-role credentials), as IAM would.
    /// </summary>
    /// <param name="issuer">Finds a key by id; null when it does not know it.</param>
    public void TrustIssuer(Func<string, EmulatorCredential?> issuer) => Volatile.Write(ref _issuer, issuer);

    /// <summary>
    /// Reads an AWS shared-credentials file (<c>[profile]</c> sections with aws_access_key_id,
    /// aws_secret_access_key and optionally aws_session_token); every profile's key is accepted.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <returns>The keys read, or the first problem as "file:line: reason".</returns>
    public static (IReadOnlyList<EmulatorCredential> Keys, string? Error) ReadFile(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ([], $"{path}: {ex.Message}");
        }

        var keys = new List<EmulatorCredential>();
        Dictionary<string, string>? section = null;
        var sectionLine = 0;
        string? Close()
        {
            if (section is null)
            {
                return null;
            }

            if (!section.TryGetValue("aws_access_key_id", out var id) || !section.TryGetValue("aws_secret_access_key", out var secret))
            {
                return $"{path}:{sectionLine}: the profile needs aws_access_key_id and aws_secret_access_key";
            }

            keys.Add(new EmulatorCredential(id, secret, section.GetValueOrDefault("aws_session_token")));
            return null;
        }

        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[' && line[^1] == ']')
            {
                if (Close() is { } error)
                {
                    return ([], error);
                }

                section = new Dictionary<string, string>(StringComparer.Ordinal);
                sectionLine = i + 1;
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (section is null || equals <= 0)
            {
                return ([], $"{path}:{i + 1}: expected '[profile]' or 'name = value'");
            }

            section[line[..equals].Trim()] = line[(equals + 1)..].Trim();
        }

        if (Close() is { } last)
        {
            return ([], last);
        }

        return keys.Count == 0 ? ([], $"{path}: no profile with keys") : (keys, null);
    }
}
