using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Broker.Masking.Tests.Corpus;

/// <summary>One kind of ordinary output, as lines: none holds a secret, so any mask in them is a false positive.</summary>
internal sealed record OutputKind(string Name, IReadOnlyList<string> Lines);

/// <summary>
/// The false-positive corpus: ordinary terminal output of the kinds an agent sees all day, generated from a fixed seed
/// with the words secret scanners trip on (token, password, secret, key) where real output has them: file names, commit
/// messages, JSON field names and flags, and long random-looking strings that are not secrets (hashes, digests, UUIDs,
/// base64 of ordinary data).
/// </summary>
internal static class OrdinaryOutputCorpus
{
    private const int LinesPerKind = 200;
    private const string Hex = "0123456789abcdef";

    private static readonly string[] Words =
    [
        "token", "password", "secret", "key", "auth", "session", "cache", "build", "deploy", "config", "reset", "rotate",
        "policy", "manager", "service", "client", "handler", "store", "test", "util", "api", "access", "refresh", "login",
    ];

    private static readonly string[] Extensions = [".cs", ".go", ".py", ".ts", ".yaml", ".json", ".md", ".sh", ".txt", ".log"];

    public static IReadOnlyList<OutputKind> All { get; } = Build();

    private static List<OutputKind> Build()
    {
        var random = new Random(5122026);
        string R(string alphabet, int length) => string.Concat(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]));
        string Word() => Words[random.Next(Words.Length)];
        string FileName() => $"{Word()}_{Word()}{Extensions[random.Next(Extensions.Length)]}";
        string Uuid() => $"{R(Hex, 8)}-{R(Hex, 4)}-4{R(Hex, 3)}-8{R(Hex, 3)}-{R(Hex, 12)}";
        List<string> Lines(Func<int, string> line) => [.. Enumerable.Range(0, LinesPerKind).Select(line)];

        return
        [
            new("build log", Lines(i => (i % 5) switch
            {
                0 => $"  {Word()}.{Word()} -> /src/{Word()}/bin/Release/net10.0/{Word()}.dll",
                1 => $"[{i,3}/{LinesPerKind}] Building CXX object src/{Word()}/CMakeFiles/{Word()}.dir/{Word()}_{Word()}.cpp.o",
                2 => $"added {random.Next(1, 900)} packages, and audited {random.Next(900, 2000)} packages in {random.Next(2, 60)}s",
                3 => $"PASS src/{Word()}/{Word()}.test.ts ({random.NextDouble() * 9:F3} s) refresh {Word()} handles expired {Word()}",
                _ => $"warning CS8618: Non-nullable property '{char.ToUpperInvariant(Word()[0])}{Word()[1..]}Token' must contain a non-null value [/src/{Word()}.csproj]",
            })),
            new("ls -l", Lines(_ => $"-rw-r--r-- 1 agent agent {random.Next(0, 99999),6} Dec {random.Next(1, 29),2} {random.Next(0, 24):D2}:{random.Next(0, 60):D2} {FileName()}")),
            new("git log", Lines(i => (i % 4) switch
            {
                0 => "commit " + R(Hex, 40),
                1 => $"Author: Dev {Word()} <dev.{Word()}@example.com>",
                2 => $"Date:   Sat Dec {random.Next(1, 29)} {random.Next(0, 24):D2}:{random.Next(0, 60):D2}:{random.Next(0, 60):D2} 2026 +0000",
                _ => $"    {Word()}: rotate the {Word()} {Word()} before it expires (#{random.Next(100, 9999)})",
            })),
            new("JSON", Lines(_ => string.Create(CultureInfo.InvariantCulture,
                $"{{\"id\":\"{Uuid()}\",\"token_type\":\"Bearer\",\"expires_in\":{random.Next(60, 7200)},\"password_policy\":{{\"min_length\":{random.Next(8, 20)}}},\"secret\":false,\"key\":\"{Word()}-{Word()}\",\"created\":\"2026-12-0{random.Next(1, 9)}T{random.Next(0, 24):D2}:00:00Z\"}}"))),
            new("base64 of ordinary data", Lines(_ => Convert.ToBase64String(Encoding.UTF8.GetBytes(
                $"{Word()} {Word()} {Word()} {random.Next()} {Word()} the {Word()} is rotated every {random.Next(1, 90)} days")))),
            new("hashes and digests", Lines(i => (i % 5) switch
            {
                0 => $"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(R(Hex, 12))))}  {FileName()}",
                1 => $"{R(Hex, 32)}  {FileName()}",
                2 => $"Digest: sha256:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(R(Hex, 12))))}",
                3 => $"      \"integrity\": \"sha512-{Convert.ToBase64String(SHA512.HashData(Encoding.UTF8.GetBytes(R(Hex, 12))))}\",",
                _ => $"{R(Hex, 7)} Merge pull request #{random.Next(100, 9999)} from org/{Word()}-{Word()}",
            })),
            new("UUIDs and ids", Lines(i => (i % 3) switch
            {
                0 => $"request_id={Uuid()} trace_id={R(Hex, 32)} span_id={R(Hex, 16)} status=200",
                1 => $"i-{R(Hex, 17)}  running  t3.micro  10.0.{random.Next(0, 255)}.{random.Next(1, 255)}  sg-{R(Hex, 17)}",
                _ => $"{Word()}-{Word()}-{R("bcdfghjklmnpqrstvwxz2456789", 10)}-{R("bcdfghjklmnpqrstvwxz2456789", 5)}   1/1     Running   0          {random.Next(1, 59)}m",
            })),
            new("environment and help text", Lines(i => (i % 6) switch
            {
                0 => $"PWD=/home/agent/{Word()}",
                1 => $"  --{Word()}-token TOKEN    read the {Word()} token from TOKEN (default: $GH_TOKEN)",
                2 => $"  --password PASSWORD      the {Word()} password; prompts when omitted",
                3 => $"HttpTokens: required   HttpPutResponseHopLimit: {random.Next(1, 3)}",
                4 => $"OLDPWD=~/{Word()}",
                _ => $"export {Word().ToUpperInvariant()}_TOKEN_FILE=/run/secrets/{Word()}",
            })),
        ];
    }
}
