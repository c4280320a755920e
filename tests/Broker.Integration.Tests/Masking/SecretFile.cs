using System.Text;
using System.Text.RegularExpressions;
using Recorder;

namespace Broker.Integration.Tests.Masking;

/// <summary>
/// A file full of secrets of every kind the default profile masks (random values, never live), the
/// detector each must be masked as, and the leak check: no run of four bytes of any secret.
/// </summary>
internal static partial class SecretFile
{
    public const string AccessKeyId = "AKIAQX7RZ2KD5MWN3PLE";
    public const string SecretAccessKey = "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";
    public const string SessionToken = "FwoGZXIvYXdzEJr//////////wEaDKq8Zt3Nx7Vb2Hs9LcJmPyRw4Ue6TfGa1Io0Kd5Yb8Mn3Xv7Qs2Lp9Wz";
    public const string GitHubToken = "ghp_R7tXk2Lm9QwZ4vNb8Yc1Hd6Jf3Sg5Pa0Ue7i";
    public const string Jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZ2VudC1lMmUiLCJleHAiOjE3OTk5OTk5OTl9.Zq4Xn8Lw2Rv7Tb5Ym1Kc9Hs3Jd6Fg0Pa";
    public const string DatabasePassword = "Vq7mTz2Rk9Lx4Wn";
    public const string ConnectionPassword = "Ht5sRw8Qm2Zv6Kp";
    public const string Card = "4539 1488 0343 6467";
    public const string SlackToken = "xoxb-572049361857-9134602758413-Ab3Cd4Ef5Gh6Ij7Kl8Mn9Op0";

    public static readonly string[] PemBody =
    [
        "MIIEowIBAAKCAQEA3Tz2mQ8vXk7Rb4Ls9Wc1Yn6Hd0Jf5Pg2Ku8Ea3Ix7Oq4Vr1Zs9",
        "Lt6Mw2Nb5Qc8Xd3Ye0Rf7Sg4Th1Ui9Vj6Wk3Xl0Ym7Zn4Ao1Bp8Cq5Dr2Es9Ft6Gu",
        "Hv3Iw0Jx7Ky4Lz1Ma8Nb5Oc2Pd9Qe6Rf3Sg0Th7Ui4Vj1Wk8Xl5Ym2Zn9Ao6Bp3Cq==",
    ];

    /// <summary>Each secret, with the detector whose name must replace it.</summary>
    public static IReadOnlyList<(string Secret, string Detector)> Expected { get; } =
    [
        (AccessKeyId, "aws-access-key-id"),
        (SecretAccessKey, "aws-secret-access-key"),
        (SessionToken, "aws-session-token"),
        (GitHubToken, "github-token"),
        (Jwt, "jwt"),
        (DatabasePassword, "connection-string-password"),
        (ConnectionPassword, "connection-string-password"),
        (Card, "credit-card"),
        (SlackToken, "slack-token"),
        .. PemBody.Select(line => (line, "pem-private-key")),
    ];

    public static IEnumerable<string> Secrets => Expected.Select(e => e.Secret);

    public static string Text => $"""
        [default]
        aws_access_key_id = {AccessKeyId}
        aws_secret_access_key = {SecretAccessKey}
        aws_session_token = {SessionToken}
        remote: using token {GitHubToken} for push
        Authorization: Bearer {Jwt}
        DATABASE_URL=postgres://app_user:{DatabasePassword}@db.internal:5432/app
        Server=sql01;Database=Orders;User Id=svc;Password={ConnectionPassword};Encrypt=true
        card on file: {Card} exp 12/29
        slack: connecting with {SlackToken}
        -----BEGIN RSA PRIVATE KEY-----
        {string.Join("\n", PemBody)}
        -----END RSA PRIVATE KEY-----
        end of secrets

        """;

    /// <summary>Writes the file somewhere the session can read it.</summary>
    public static async Task<string> WriteAsync()
    {
        // The path is echoed with the command that reads it; a random name that happened to share four
        // characters with a secret (a CI run drew "6185" from the Slack token's digits) would look like a leak.
        string path;
        do
        {
            path = Path.Combine(Path.GetTempPath(), $"secrets-{Guid.NewGuid():n}.txt");
        }
        while (Secrets.Any(secret => Enumerable.Range(0, Math.Max(0, secret.Length - 3)).Any(i => path.Contains(secret.Substring(i, 4), StringComparison.Ordinal))));

        await File.WriteAllTextAsync(path, Text).WaitAsync(TimeSpan.FromSeconds(10));
        return path;
    }

    /// <summary>Fails on the first run of four bytes of any secret in <paramref name="bytes"/> (mask names removed first: they are not leaks).</summary>
    public static void ShouldNotLeakAnySecret(byte[] bytes, string where)
    {
        var text = MarkerPattern().Replace(Encoding.Latin1.GetString(bytes), "#");
        var haystack = Encoding.Latin1.GetBytes(text);
        foreach (var secret in Secrets)
        {
            var secretBytes = Encoding.UTF8.GetBytes(secret);
            for (var i = 0; i + 4 <= secretBytes.Length; i++)
            {
                var gram = secretBytes.AsSpan(i, 4);
                haystack.AsSpan().IndexOf(gram).Should().BeLessThan(0, $"'{Encoding.UTF8.GetString(gram)}' of '{secret}' leaked into {where}:\n{text}");
            }
        }
    }

    /// <summary>Every secret's detector named in the output, and counted.</summary>
    public static void ShouldNameEveryMask(string output, IReadOnlyDictionary<string, long>? counts = null)
    {
        foreach (var detector in Expected.Select(e => e.Detector).Distinct())
        {
            output.Should().Contain($"[MASKED:{detector}]");
            counts?.Should().ContainKey(detector).WhoseValue.Should().BePositive();
        }
    }

    /// <summary>The recorded session: every event, its output bytes and its input bytes.</summary>
    public static async Task<(IReadOnlyList<RecordedEvent> Events, byte[] Output, byte[] Input)> ReadRecordingAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        var reader = RecordingReader.Open(stream);
        var events = new List<RecordedEvent>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var item in reader.ReadEventsAsync(cts.Token))
        {
            events.Add(item);
        }

        var output = events.OfType<OutputEvent>().SelectMany(o => o.Data.ToArray()).ToArray();
        var input = events.OfType<InputEvent>().SelectMany(o => o.Data.ToArray()).ToArray();
        return (events, output, input);
    }

    /// <summary>Every event printed, without its index and time offset (numbers that could look like four digits of the card).</summary>
    public static byte[] EventText(IEnumerable<RecordedEvent> events) =>
        Encoding.UTF8.GetBytes(string.Join("\n", events.Select(e => (e with { Index = 0, OffsetNanoseconds = 0 }).ToString())));

    [GeneratedRegex(@"\[MASKED:[A-Za-z0-9._-]+\]")]
    private static partial Regex MarkerPattern();
}
