using System.Diagnostics;
using System.Text;

namespace Broker.Integration.Tests.Masking;

/// <summary>
/// A file with every secret format the masking issue found unmasked (random values, never live), including a real
/// private key from ssh-keygen printed without its armour lines, and the detector each must be masked as.
/// </summary>
internal static class FormatSecretFile
{
    private static readonly string SecretAccessKey = "k9Vd2Lq+TrW7zXp4Hn/0sJ3bGm8YfCeA1uQo6RtI";
    private static readonly string SessionToken = "FwoGZXIvYXdzEJr//////////wEaDKq8Zt3Nx7Vb2Hs9LcJmPyRw4Ue6TfGa1Io0Kd5Yb8Mn3Xv7Qs2Lp9Wz";
    private static readonly string TabSecret = "Zt4mW8qR2vNx6Lp0Hs3Jd9Yb1Kc7Fg5Ae+Bu/Vi2O";
    private static readonly string ZeroWidthToken = "ghp_Q7tXk2Lm9QwZ4vNb8Yc1Hd6Jf3Sg5Pa0Ue7r";
    private static readonly string GluedToken = "ghp_Y2bNq8Lm3QwZ4vTb8Yc1Hd6Jf3Sg5Pa0Ue9w";
    private static readonly string Jwt = Base64Url("{ \"alg\": \"HS256\", \"typ\": \"JWT\" }") + "." + Base64Url("{ \"sub\": \"agent\" }") + ".Zq4Xn8Lw2Rv7Tb5Ym1Kc9Hs3Jd6Fg0Pa3Qe";
    // Glued to a name by `_` and to a path by `-`: both bytes are base64url, so the JWT's start is found by its header.
    private static readonly string GluedJwt = Base64Url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + Base64Url("{\"sub\":\"deployer\",\"iat\":1764000000}") + ".Kc9Hs3Jd6Fg0Pa3QeZq4Xn8Lw2Rv7Tb5Ym1Wd";
    private static readonly string PathJwt = Base64Url("{ \"kid\": \"k7\", \"alg\": \"RS256\" }") + "." + Base64Url("{\"aud\":\"api\"}") + ".Tb5Ym1Wd2Rv7Kc9Hs3Jd6Fg0Pa3QeZq4Xn8Lw";
    private static readonly string DbPass = "Vq7-mTz2.Rk9Lx";
    private static readonly string Passphrase = "tR8-Kw3.pZ6Ym2";
    private static readonly string Pwd = "Hq5vX2-nB8mW";
    private static readonly string XmlPassword = "Lm4Qz7-Vt2Ks9";
    private static readonly string AccountKey = "pP3Xr7Wq2Ly9Zt4Hn6Jm8Vb1Kc5Fg0Ad3Se7Ru2Tw9Yx4Qz6Lv8Nb1Mc5Gh0Jk3==";
    private static readonly string GoogleKey = "AIzaSyB7x9Qw2Lm4Tz6Vn8Rk1Hs3Jd5Fg7Pa9Ke";
    private static readonly string TitleToken = "ghp_Tw5Nq8Lm3QwZ4vTb8Yc1Hd6Jf3Sg5Pa0Ue2k";
    private static readonly string ClipboardToken = "ghp_Cb6Nq8Lm3QwZ4vTb8Yc1Hd6Jf3Sg5Pa0Ue4p";
    private static readonly string Card = "4539.1488.0343.6467";
    private static readonly string[] Ssh2Body = Chunk(Convert.ToBase64String([0x3F, 0x6F, 0xF9, 0xEB, .. Enumerable.Range(0, 300).Select(i => (byte)((i * 73) + 11))]), 70);
    private static readonly string[] PuttyBody = Chunk(Convert.ToBase64String([.. Enumerable.Range(0, 330).Select(i => (byte)((i * 151) + 7))]), 64);

    /// <summary>Every secret value that must not show (for the key bodies: every line).</summary>
    private static IEnumerable<string> FixedSecrets =>
    [
        SecretAccessKey, SessionToken, TabSecret, ZeroWidthToken, GluedToken, Jwt, GluedJwt, PathJwt, DbPass, Passphrase, Pwd, XmlPassword, AccountKey,
        GoogleKey, TitleToken, ClipboardToken, Card, .. Ssh2Body, .. PuttyBody[..^1],
    ];

    /// <summary>Every detector that must have masked something in the file.</summary>
    public static IReadOnlyList<string> Detectors { get; } =
    [
        "aws-secret-access-key", "aws-session-token", "github-token", "jwt", "keyword-secret", "azure-storage-key", "google-api-key",
        "credit-card", "private-key-body", "pem-private-key",
    ];

    /// <summary>Writes the file with a fresh key in it; returns its path and every secret in it.</summary>
    public static async Task<(string Path, IReadOnlyList<string> Secrets)> WriteAsync()
    {
        var directory = Directory.CreateTempSubdirectory("masking-formats");
        var key = Path.Combine(directory.FullName, "id_rsa");
        using (var keygen = Process.Start("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", string.Empty, "-f", key])!)
        {
            await keygen.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            keygen.ExitCode.Should().Be(0);
        }

        string[] keyBody = [.. (await File.ReadAllLinesAsync(key)).Where(l => l.Length > 0 && !l.Contains("-----", StringComparison.Ordinal))];
        string[] secrets = [.. FixedSecrets, .. keyBody];
        directory.Delete(recursive: true);
        var clipboard = Convert.ToBase64String(Encoding.UTF8.GetBytes($"export GITHUB_TOKEN={ClipboardToken}\n"));
        var text = $"""
            <AssumeRoleResult><Credentials>
              <SecretAccessKey>{SecretAccessKey}</SecretAccessKey>
              <SessionToken>{SessionToken}</SessionToken>
            </Credentials></AssumeRoleResult>
            aws_secret_access_key{"\t"}{TabSecret}
            token {ZeroWidthToken[..10]}{"\u200B"}{ZeroWidthToken[10..]} pushed
            export MY_{GluedToken}
            Authorization: Bearer {Jwt}
            export ID_TOKEN_{GluedJwt}
            GET /v1/session-{PathJwt}/status
            DB_PASS={DbPass}
            passphrase={Passphrase}
            pwd={Pwd}
            <password>{XmlPassword}</password>
            DefaultEndpointsProtocol=https;AccountName=logs;AccountKey={AccountKey};EndpointSuffix=core.windows.net
            GOOGLE_API_KEY={GoogleKey}
            card on file: {Card}
            {"\u001b"}]0;deploy with {TitleToken}{"\u0007"}{"\u001b"}]52;c;{clipboard}{"\u0007"}title and clipboard set
            {string.Join('\n', keyBody)}
            ---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----
            Comment: "rsa-key-20261126"
            {string.Join('\n', Ssh2Body)}
            ---- END SSH2 ENCRYPTED PRIVATE KEY ----
            PuTTY-User-Key-File-3: ssh-rsa
            Encryption: none
            Private-Lines: {PuttyBody.Length}
            {string.Join('\n', PuttyBody)}
            Private-MAC: 5b1a9ec2c3e6f1d8a7b4c0e9f2d1a3b5c7e9f0a2b4c6d8e0f1a3b5c7d9e1f3a5
            end of formats

            """;

        // The path is echoed with the command that reads it: one that shared four characters with a secret would look like a leak.
        string path;
        do
        {
            path = Path.Combine(Path.GetTempPath(), $"formats-{Guid.NewGuid():n}.txt");
        }
        while (secrets.Any(secret => Enumerable.Range(0, Math.Max(0, secret.Length - 3)).Any(i => path.Contains(secret.Substring(i, 4), StringComparison.Ordinal))));

        await File.WriteAllTextAsync(path, text).WaitAsync(TimeSpan.FromSeconds(10));
        return (path, secrets);
    }

    public static void ShouldNameEveryMask(string output)
    {
        foreach (var detector in Detectors)
        {
            output.Should().Contain($"[MASKED:{detector}]");
        }
    }

    private static string Base64Url(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string[] Chunk(string text, int width) => [.. Enumerable.Range(0, (text.Length + width - 1) / width).Select(i => text.Substring(i * width, Math.Min(width, text.Length - (i * width))))];
}
