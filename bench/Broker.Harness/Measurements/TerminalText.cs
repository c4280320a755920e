using System.Security.Cryptography;
using System.Text;

namespace Broker.Harness.Measurements;

/// <summary>The files the throughput runs <c>cat</c>: typical terminal text, and random printable bytes.</summary>
internal static class TerminalText
{
    private static readonly string[] s_templates =
    [
        "-rw-r--r--  1 agent agent  {0,8} Nov 26 08:{1:00} report-{2}.csv",
        "2026-11-26T08:{1:00}:{3:00}.{0:000}Z INFO  worker[{2}] request completed status=200 bytes={0} path=/api/v1/items/{2}",
        "    at Broker.Core.Sessions.Session.PumpAsync(PipeReader reader) in /src/Session.cs:line {0}",
        "drwxr-xr-x  {1,2} agent agent     4096 Nov 26 07:{3:00} build-output-{2}",
        "  {2,5} ?        00:00:{3:00} /usr/bin/python3 -m http.server {0}",
        "commit {0:x8}{2:x8}{1:x4}  Fix the retry loop when the upstream closes early (#{2})",
    ];

    /// <summary>Lines like ls, logs, stack traces, ps and git print, until <paramref name="size"/> bytes.</summary>
    public static void WriteText(string path, long size)
    {
        using var file = new StreamWriter(path, append: false, new UTF8Encoding(false), 1 << 20);
        var state = 0x9E3779B9u;
        long written = 0;
        var line = new StringBuilder();
        while (written < size)
        {
            state = (state * 1664525u) + 1013904223u;
            var template = s_templates[(state >> 8) % (uint)s_templates.Length];
            line.Clear().AppendFormat(System.Globalization.CultureInfo.InvariantCulture, template, state % 100000, (state >> 5) % 60, (state >> 11) % 9000, (state >> 17) % 60).Append('\n');
            var remaining = size - written;
            if (line.Length > remaining)
            {
                line.Length = (int)remaining;
            }

            file.Write(line);
            written += line.Length;
        }
    }

    /// <summary>Uniformly random bytes from space to tilde, without '_' (which the end marker uses) and without newlines.</summary>
    public static void WriteRandomPrintable(string path, long size)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var buffer = new byte[1 << 20];
        for (long written = 0; written < size; written += buffer.Length)
        {
            RandomNumberGenerator.Fill(buffer);
            for (var i = 0; i < buffer.Length; i++)
            {
                var b = (byte)(0x20 + (buffer[i] % 95));
                buffer[i] = b == (byte)'_' ? (byte)'-' : b;
            }

            file.Write(buffer, 0, (int)Math.Min(buffer.Length, size - written));
        }
    }
}
