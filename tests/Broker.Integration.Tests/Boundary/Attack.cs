using System.Globalization;
using System.Text;
using Broker.Integration.Tests.Fixtures;

namespace Broker.Integration.Tests.Boundary;

/// <summary>Runs an attacker's script through a real session and keeps everything it printed.</summary>
internal static class Attack
{
    /// <summary>Runs <paramref name="script"/> on <paramref name="target"/> as a fresh identity; stdout and stderr together.</summary>
    public static async Task<(string Output, int ExitCode)> RunAsync(BrokerFixture broker, string script, string target = "local", string? subject = null)
    {
        var result = await ExecResult.RunScriptAsync(broker.Client(broker.Token(subject ?? $"attacker-{Guid.NewGuid():n}")), script, target: target);
        result.Exit.Should().NotBeNull("the session ran ({0})", string.Join("; ", result.Notices.Select(n => n.Message)));
        return (result.StdoutText + result.StderrText, result.Exit!.Code);
    }

    /// <summary>
    /// A Perl program that scans the readable, writable mappings of process <paramref name="pid"/> through
    /// /proc/PID/mem for the canary, which it is given XOR-ed with 0x5a so that the command text (which the broker
    /// holds too) never contains it; it prints FOUND at the first match.
    /// </summary>
    public static string MemoryScan(int pid, byte[] canary)
    {
        var hidden = Convert.ToHexString(canary.Select(b => (byte)(b ^ 0x5a)).ToArray());
        var pidText = pid.ToString(CultureInfo.InvariantCulture);
        return "perl -e '"
            + $"my $n = pack(\"H*\", \"{hidden}\") ^ (chr(0x5a) x {canary.Length}); "
            + $"open(my $m, \"<\", \"/proc/{pidText}/maps\") or die \"maps: $!\\n\"; "
            + $"open(my $f, \"<\", \"/proc/{pidText}/mem\") or die \"mem: $!\\n\"; "
            + "while (<$m>) { my ($a, $b, $p) = /^([0-9a-f]+)-([0-9a-f]+) (\\S+)/ or next; next unless $p =~ /^rw/; "
            + "for (my $o = hex($a); $o < hex($b); $o += 1048576) { my $l = hex($b) - $o; $l = 1048576 if $l > 1048576; "
            + "sysseek($f, $o, 0) or next; my $d; sysread($f, $d, $l) or next; if (index($d, $n) >= 0) { print \"FOUND\\n\"; exit 0 } } } "
            + "print \"NOT FOUND\\n\"'";
    }

    /// <summary>A Perl program that pushes <paramref name="text"/> into the input of terminal <paramref name="tty"/> with TIOCSTI.</summary>
    public static string Tiocsti(string tty, string text) =>
        $"perl -e 'open(my $t, \"+<\", \"{tty}\") or die \"open: $!\\n\"; "
        + $"for my $c (split //, \"{text}\") {{ ioctl($t, 0x5412, $c) or die \"TIOCSTI: $!\\n\" }} print \"PUSHED\\n\"'";

    /// <summary>What of a PEM key file an attack output must not contain: each body line (middle part) and its Base64 (middle part).</summary>
    public static IReadOnlyList<string> KeyFragments(string keyFile)
    {
        var text = File.ReadAllText(keyFile);
        var body = text.Split('\n').Where(l => l.Length > 40 && !l.StartsWith("-----", StringComparison.Ordinal)).Select(l => l[8..40]).ToList();
        var encoded = Convert.ToBase64String(Encoding.ASCII.GetBytes(text));
        body.Add(encoded[60..100]);
        return body;
    }
}
