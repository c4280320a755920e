using System.Diagnostics;

namespace EndToEnd.Tests.Transport;

/// <summary>A certificate authority made by <c>openssl</c> in a temporary directory, which issues server and client certificates.</summary>
internal sealed class ThrowawayCa : IDisposable
{
    private readonly string _directory;

    private ThrowawayCa(string directory, string name)
    {
        _directory = directory;
        Certificate = Path.Combine(directory, name + "-ca.crt");
        Key = Path.Combine(directory, name + "-ca.key");
    }

    /// <summary>The CA's certificate (PEM): what clients (or the broker, for client certificates) trust.</summary>
    public string Certificate { get; }

    private string Key { get; }

    public static async Task<ThrowawayCa> CreateAsync(string directory, string name)
    {
        Directory.CreateDirectory(directory);
        var ca = new ThrowawayCa(directory, name);
        await OpenSslAsync(directory, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca.Key, "-out", ca.Certificate,
            "-days", "3", "-subj", $"/CN={name} test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return ca;
    }

    /// <summary>A certificate for the broker on 127.0.0.1 and localhost; <paramref name="days"/> -1 makes one that has expired.</summary>
    public Task<(string Certificate, string Key)> IssueServerAsync(string name, int days = 2) =>
        IssueAsync(name, days, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");

    /// <summary>A client certificate, for mutual TLS.</summary>
    public Task<(string Certificate, string Key)> IssueClientAsync(string name) =>
        IssueAsync(name, 2, "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the OS cleans temporary directories.
        }
    }

    private async Task<(string Certificate, string Key)> IssueAsync(string name, int days, string extensions)
    {
        var certificate = Path.Combine(_directory, name + ".crt");
        var key = Path.Combine(_directory, name + ".key");
        var request = Path.Combine(_directory, name + ".csr");
        var extensionFile = Path.Combine(_directory, name + ".ext");
        await File.WriteAllTextAsync(extensionFile, extensions);
        await OpenSslAsync(_directory, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", request, "-subj", $"/CN={name}");
        await OpenSslAsync(_directory, "x509", "-req", "-in", request, "-CA", Certificate, "-CAkey", Key, "-CAcreateserial", "-out", certificate,
            "-days", days.ToString(System.Globalization.CultureInfo.InvariantCulture), "-extfile", extensionFile);
        return (certificate, key);
    }

    private static async Task OpenSslAsync(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("openssl") { WorkingDirectory = directory, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        process.ExitCode.Should().Be(0, $"openssl {string.Join(' ', arguments)}: {await error}");
    }
}
