using System.Text;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// Private keys recognised by their body, not their armour: real keys from ssh-keygen printed with their BEGIN/END
/// lines filtered out (<c>grep -v -e -----</c>), with their first lines cut off, and the SSH2 and PuTTY formats.
/// </summary>
public sealed class KeyBodyTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("masking-keys");

    public void Dispose() => _directory.Delete(recursive: true);

    public static TheoryData<string, string[]> SshKeygenKeys() => new()
    {
        { "rsa pkcs1", ["-t", "rsa", "-b", "2048", "-m", "PEM"] },
        { "rsa pkcs8", ["-t", "rsa", "-b", "2048", "-m", "PKCS8"] },
        { "rsa pkcs8 encrypted", ["-t", "rsa", "-b", "2048", "-m", "PKCS8", "-N", "correct horse battery"] },
        { "ecdsa sec1", ["-t", "ecdsa", "-b", "256", "-m", "PEM"] },
        { "ecdsa pkcs8", ["-t", "ecdsa", "-b", "384", "-m", "PKCS8"] },
        { "rsa openssh", ["-t", "rsa", "-b", "2048"] },
        { "ed25519 openssh", ["-t", "ed25519"] },
        { "ed25519 openssh encrypted", ["-t", "ed25519", "-N", "correct horse battery"] },
    };

    [Theory]
    [MemberData(nameof(SshKeygenKeys))]
    public async Task Key_printed_without_its_armour_lines_is_masked(string label, string[] options)
    {
        var key = await GenerateAsync(options);
        var body = key.Split('\n').Where(line => line.Length > 0 && !line.Contains("-----", StringComparison.Ordinal)).ToArray();

        var run = Mask.Run($"$ grep -v -e ----- id_key\n{string.Join('\n', body)}\n$ echo done\ndone\n");

        run.ShouldNotLeak(body);
        run.Output.Should().Contain("[MASKED:private-key-body]", label).And.EndWith("$ echo done\ndone\n");
    }

    [Theory]
    [MemberData(nameof(SshKeygenKeys))]
    public async Task Key_printed_whole_is_masked_from_begin_to_end(string label, string[] options)
    {
        var key = await GenerateAsync(options);

        var run = Mask.Run($"before\n{key}after\n");

        run.ShouldNotLeak(key.Split('\n').Where(line => line.Length > 0 && !line.StartsWith("-----", StringComparison.Ordinal)).ToArray());
        run.Output.Should().Be("before\n[MASKED:pem-private-key]\nafter\n", label);
    }

    [Theory]
    [InlineData("-t", "rsa", "-b", "3072", "-m", "PEM")]
    [InlineData("-t", "rsa", "-b", "2048")]
    public async Task Key_body_without_its_first_lines_is_masked_as_a_block_of_key_shaped_lines(params string[] options)
    {
        var key = await GenerateAsync(options);
        var body = key.Split('\n').Where(line => line.Length > 0 && !line.Contains("-----", StringComparison.Ordinal)).ToArray();
        var tail = body[2..];
        var input = Encoding.UTF8.GetBytes($"$ tail -n +4 id_key\n{string.Join('\n', tail)}\n$ ");

        Mask.Run(input, Mask.Whole(input)).Output.Should().Be("$ tail -n +4 id_key\n[MASKED:private-key-body]\n$ ");
        foreach (var sizes in new[] { Mask.Random(input, 1, 100), Mask.Random(input, 2, 7), Mask.OneByOne(input) })
        {
            // A line start cut after fewer than four characters is not held (a typed word would wait): those show.
            var run = Mask.Run(input, sizes);

            run.ShouldNotLeak(tail[..^1]);
            run.Output.Should().StartWith("$ tail -n +4 id_key\n").And.Contain("[MASKED:private-key-body]\n$ ");
        }
    }

    [Fact]
    public void Key_body_in_a_kubernetes_secret_is_masked()
    {
        var pem = "-----BEGIN RSA PRIVATE KEY-----\n" + string.Join('\n', SecretCorpus.PemBody) + "\n-----END RSA PRIVATE KEY-----\n";
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(pem));
        var yaml = $"apiVersion: v1\nkind: Secret\ndata:\n  tls.crt: {Convert.ToBase64String(Encoding.UTF8.GetBytes("-----BEGIN CERTIFICATE-----\nMIIB"))}\n  tls.key: {encoded}\ntype: kubernetes.io/tls\n";

        var run = Mask.Run(yaml);

        // Both values start with base64 of "-----BEGIN "; the key's body comes after its label.
        run.ShouldNotLeak(encoded[48..^48]);
        run.Output.Should().Contain("  tls.key: [MASKED:private-key-body]\ntype: kubernetes.io/tls\n").And.Contain("tls.crt: LS0t");
    }

    [Fact]
    public void Ssh2_key_is_masked_with_and_without_its_armour()
    {
        var blob = new byte[400];
        new Random(3).NextBytes(blob);
        new byte[] { 0x3F, 0x6F, 0xF9, 0xEB }.CopyTo(blob, 0);
        var lines = Chunk(Convert.ToBase64String(blob), 70);
        var file = $"---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"rsa-key-20261126\"\n{string.Join('\n', lines)}\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n";

        var armoured = Mask.Run($"$ cat key.ssh2\n{file}$ ");
        var bare = Mask.Run($"$ grep -v -e ---- key.ssh2\n{string.Join('\n', lines)}\n$ ");

        armoured.Output.Should().Be("$ cat key.ssh2\n[MASKED:pem-private-key]\n$ ");
        armoured.ShouldNotLeak(lines);
        bare.Output.Should().Be("$ grep -v -e ---- key.ssh2\n[MASKED:private-key-body]\n$ ");
        bare.ShouldNotLeak(lines);
    }

    [Fact]
    public void Putty_key_private_lines_are_masked_with_and_without_their_header()
    {
        var (publicLines, privateLines) = (Chunk(Fake.Base64Of(279, 8), 64), Chunk(Fake.Base64Of(660, 9), 64));
        var file = $"PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: rsa-key-20261126\nPublic-Lines: {publicLines.Length}\n{string.Join('\n', publicLines)}\n" +
            $"Private-Lines: {privateLines.Length}\n{string.Join('\n', privateLines)}\nPrivate-MAC: 5b1a9ec2c3e6f1d8a7b4c0e9f2d1a3b5c7e9f0a2b4c6d8e0f1a3b5c7d9e1f3a5\n";

        var whole = Mask.Run(file);
        var grepped = Mask.Run(string.Join('\n', file.Split('\n').Where(l => !l.StartsWith("Private", StringComparison.Ordinal))));

        whole.ShouldNotLeak(privateLines);
        whole.Output.Should().Contain("[MASKED:private-key-body]\nPrivate-MAC:");
        grepped.ShouldNotLeak(privateLines[..^1]);
    }

    [Fact]
    public void Certificates_and_public_keys_stay()
    {
        const string certificate = """
            -----BEGIN CERTIFICATE-----
            MIIDHzCCAgegAwIBAgIUPsXtHnq02qslyHuMqjBn7fd+fSQwDQYJKoZIhvcNAQEL
            BQAwHzEdMBsGA1UEAwwUbWFza2luZy10ZXN0LmV4YW1wbGUwHhcNMjYxMjA1MDk0
            MDQ0WhcNMzYxMjAyMDk0MDQ0WjAfMR0wGwYDVQQDDBRtYXNraW5nLXRlc3QuZXhh
            bXBsZTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAMCIbz5UUyBgv5p9
            BzaA87ytdLYkYX12KXDTE7gcVK454iPYOeMKr0Avjd8YVBo0Npu316wrI/D6beL2
            FzWH7DMylVaFotmCSrf8GAKQdksv1QHI7bvaaU4+n6Qorh4eGLjnw+vBdg2/xdvA
            -----END CERTIFICATE-----

            """;
        var publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl agent@host\n";

        Mask.Run(certificate).Output.Should().Be(certificate);
        Mask.Run(string.Join('\n', certificate.Split('\n').Where(l => !l.Contains("-----", StringComparison.Ordinal)))).Counts.Should().BeEmpty();
        Mask.Run(publicKey).Output.Should().Be(publicKey);
    }

    private async Task<string> GenerateAsync(string[] options)
    {
        var path = Path.Combine(_directory.FullName, $"key-{Guid.NewGuid():n}");
        var passphrase = options.Contains("-N") ? Array.Empty<string>() : ["-N", string.Empty];
        var (exit, _, stderr) = await Repository.RunAsync("ssh-keygen", _directory.FullName, ["-q", .. options, .. passphrase, "-C", "masking-test", "-f", path]);
        exit.Should().Be(0, stderr);
        return await File.ReadAllTextAsync(path).WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static string[] Chunk(string text, int width) => [.. Enumerable.Range(0, (text.Length + width - 1) / width).Select(i => text.Substring(i * width, Math.Min(width, text.Length - (i * width))))];
}
