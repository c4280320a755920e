using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Broker.Masking;

namespace Broker.Bench.Masking;

/// <summary>
/// Masker throughput on 4 MiB of ordinary terminal output and of secret-dense output, pushed in
/// 64 KiB and 1 KiB chunks. Throughput = 4 MiB / Mean.
/// </summary>
[MemoryDiagnoser]
public class MaskingThroughputBenchmarks
{
    private const int Size = 4 * 1024 * 1024;

    private readonly ArrayBufferWriter<byte> _output = new(128 * 1024);
    private byte[] _input = [];
    private MaskingProfile _profile = MaskingProfile.Default;
    private SecretRegistry _secrets = new();

    [Params("ordinary", "secret-dense")]
    public string Corpus { get; set; } = "ordinary";

    [Params(1024, 65536)]
    public int ChunkSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _input = Corpus == "ordinary" ? MaskingCorpora.Ordinary(Size) : MaskingCorpora.SecretDense(Size);
        _profile = MaskingProfile.Default;
        _secrets = new SecretRegistry();
        _secrets.Register("aws-secret-access-key", MaskingCorpora.RegisteredSecret);
        _secrets.Register("aws-session-token", MaskingCorpora.RegisteredToken);
    }

    [Benchmark]
    public long Mask()
    {
        var masker = _profile.CreateMasker(_secrets);
        long written = 0;
        for (var offset = 0; offset < _input.Length; offset += ChunkSize)
        {
            var chunk = _input.AsSpan(offset, Math.Min(ChunkSize, _input.Length - offset));
            masker.Push(chunk, _output);
            written += _output.WrittenCount;
            _output.ResetWrittenCount();
        }

        masker.Complete(_output);
        written += _output.WrittenCount;
        _output.ResetWrittenCount();
        return written;
    }
}

/// <summary>Deterministic benchmark inputs.</summary>
internal static class MaskingCorpora
{
    public const string RegisteredSecret = "Hq3/UO8bdsKpLmW9x2Ry+TfGcE7nVaZ1kJ4sNwP0";
    public const string RegisteredToken = "IQoJb3JpZ2luX2VjEHUaCXVzLWVhc3QtMSJHMEUCIQDk8vT2rXqPz3mLwNcYbF9aHs0Ke7UjGv4RtD1iOp6ySw";

    /// <summary>`ls -l`, `ps aux`, `git log` and coloured compiler-like lines.</summary>
    public static byte[] Ordinary(int size)
    {
        var random = new Random(1);
        var text = new StringBuilder(size + 256);
        string[] users = ["root", "www-data", "postgres", "agent"];
        string[] months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        string[] names = ["bash", "python3.11", "node", "systemd-resolved", "dotnet", "git-upload-pack", "ssh-keygen", "xargs"];
        while (text.Length < size)
        {
            switch (random.Next(4))
            {
                case 0:
                    text.Append($"-rwxr-xr-x 1 {users[random.Next(users.Length)]} root {random.Next(1000, 9_999_999),8} {months[random.Next(12)]} {random.Next(1, 29),2} {random.Next(0, 24):00}:{random.Next(0, 60):00} {names[random.Next(names.Length)]}\n");
                    break;
                case 1:
                    text.Append($"{users[random.Next(users.Length)],-8} {random.Next(1, 99999),6}  {random.Next(0, 100) / 10.0:0.0}  {random.Next(0, 50) / 10.0:0.0} {random.Next(10000, 999999),7} {random.Next(1000, 99999),6} pts/{random.Next(9)}    S+   {random.Next(0, 24):00}:{random.Next(0, 60):00}   0:{random.Next(0, 60):00} /usr/bin/{names[random.Next(names.Length)]} --verbose\n");
                    break;
                case 2:
                    text.Append($"commit {Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64()))}{Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64()))}{random.Next():x8}\nAuthor: Dev Eloper <dev@example.org>\n\n    Fix the build on ARM and update the docs\n\n");
                    break;
                default:
                    text.Append($"\u001b[1m/src/app/Program.cs(12,5)\u001b[0m: \u001b[33mwarning\u001b[0m CS0168: The variable 'ex' is declared but never used [{Guid.NewGuid()}]\n");
                    break;
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString(0, size));
    }

    /// <summary>Output where every other line carries a secret.</summary>
    public static byte[] SecretDense(int size)
    {
        string[] lines =
        [
            "aws_access_key_id = AKIAUJZDE8GXD6NCF10E\n",
            $"aws_secret_access_key = {RegisteredSecret}\n",
            "remote: using token ghp_wd1iaeOV4qBkdfQ1y3GQsMpSscDlkrCaqx9v for push\n",
            "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZ2VudC03In0.3OyV2dZAkg05rK-gqv81RKMGHZEM9YpvujA_C5Q52ry\n",
            "DATABASE_URL=postgres://app_user:TIay2BV6DfVPCl@db.internal:5432/app\n",
            $"      \"SessionToken\": \"{RegisteredToken}\",\n",
            "db_password: gI3*HLBk%bvHEzuPyXQE\n",
            "card on file: 4111 1111 1111 1111 exp 12/29\n",
        ];
        var text = new StringBuilder(size + 256);
        var i = 0;
        while (text.Length < size)
        {
            text.Append(lines[i++ % lines.Length]);
            text.Append("-rw-r--r-- 1 agent agent 4096 Nov 26 08:00 notes.txt\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString(0, size));
    }
}
