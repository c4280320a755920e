using System.Diagnostics;
using System.Text;

namespace Broker.Bench.Recorder;

/// <summary>
/// Typical shell output, produced by running ordinary commands on this machine (listings, process
/// tables, package lists, logs, manuals) and converting newlines to CRLF as a PTY does.
/// </summary>
internal static class ShellOutputCorpus
{
    private const int MaxBytesPerCommand = 4 * 1024 * 1024;

    private static readonly string[] Commands =
    [
        "ls -la --color=always /usr/bin /etc",
        "ps aux",
        "env",
        "df -h; mount",
        "dpkg -l",
        "git -C /work/main log --stat -n 2000",
        "ls -laR /usr/lib",
        "find /usr/share -type f",
        "cat /usr/share/common-licenses/*",
        "zcat -f /usr/share/doc/*/changelog.Debian.gz",
        "ls -laR --color=always /usr/share",
    ];

    /// <summary>
    /// Real output of the commands (each capped at 4 MiB), concatenated; repeated only when more is
    /// needed, so repeats are tens of MiB apart and no segment can see a copy of its own content.
    /// </summary>
    public static byte[] Create(int size)
    {
        var output = new MemoryStream();
        foreach (var command in Commands)
        {
            var text = Run(command).Replace("\n", "\r\n", StringComparison.Ordinal);
            output.Write(Encoding.UTF8.GetBytes($"user@web-01:~$ {command}\r\n"));
            var bytes = Encoding.UTF8.GetBytes(text);
            output.Write(bytes.AsSpan(0, Math.Min(bytes.Length, MaxBytesPerCommand)));
        }

        var once = output.ToArray();
        if (once.Length == 0)
        {
            throw new InvalidOperationException("the shell commands produced no output");
        }

        Console.WriteLine($"// shell output corpus: {once.Length} distinct bytes");
        var corpus = new byte[size];
        for (var position = 0; position < size; position += once.Length)
        {
            once.AsSpan(0, Math.Min(once.Length, size - position)).CopyTo(corpus.AsSpan(position));
        }

        return corpus;
    }

    private static string Run(string command)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot run {command}");
        var stdout = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return stdout;
    }
}
