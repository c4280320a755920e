using System.Security.Cryptography;

namespace Recorder;

/// <summary>
/// The broker's ECDSA P-256 key that signs checkpoints and seals. Auditors only need the public
/// half (<see cref="ExportPublicKeyPem"/>).
/// </summary>
public sealed class RecordingSigningKey : IDisposable
{
    private readonly ECDsa _key;

    private RecordingSigningKey(ECDsa key)
    {
        _key = key;
        KeyId = ComputeKeyId(key);
    }

    /// <summary>SHA-256 of the public key's SubjectPublicKeyInfo (DER); every checkpoint names the key by it.</summary>
    public ReadOnlyMemory<byte> KeyId { get; }

    /// <summary><see cref="KeyId"/> as lowercase hex.</summary>
    public string KeyIdHex => Convert.ToHexStringLower(KeyId.Span);

    /// <summary>
    /// Loads the PKCS#8 (or SEC1 "EC PRIVATE KEY") PEM at <paramref name="pemPath"/>, or creates a new
    /// P-256 key there (owner read/write only) when the file does not exist.
    /// </summary>
    /// <exception cref="InvalidDataException">The file exists but holds no usable P-256 private key.</exception>
    public static RecordingSigningKey LoadOrCreate(string pemPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(pemPath);
        if (File.Exists(pemPath))
        {
            return FromPrivateKeyPem(File.ReadAllText(pemPath));
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(pemPath));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = key.ExportPkcs8PrivateKeyPem();
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using var file = new FileStream(pemPath, options);
            using var writer = new StreamWriter(file);
            writer.Write(pem);
        }
        catch (IOException) when (File.Exists(pemPath))
        {
            // Another process created the key first; both must use the same one.
            key.Dispose();
            return FromPrivateKeyPem(File.ReadAllText(pemPath));
        }

        return new RecordingSigningKey(key);
    }

    /// <summary>Creates a new key that lives only in memory.</summary>
    public static RecordingSigningKey CreateEphemeral() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Loads a private key from PEM text.</summary>
    /// <exception cref="InvalidDataException">The text holds no usable P-256 private key.</exception>
    public static RecordingSigningKey FromPrivateKeyPem(string pem)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            if (key.KeySize != 256)
            {
                throw new InvalidDataException($"the recording signing key must be P-256, not a {key.KeySize}-bit key");
            }

            _ = key.ExportParameters(includePrivateParameters: true);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new InvalidDataException($"the recording signing key is not a usable P-256 private key: {e.Message}", e);
        }

        return new RecordingSigningKey(key);
    }

    /// <summary>The public key as a "PUBLIC KEY" (SubjectPublicKeyInfo) PEM, for auditors.</summary>
    public string ExportPublicKeyPem() => _key.ExportSubjectPublicKeyInfoPem();

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();

    internal static byte[] ComputeKeyId(ECDsa key) => SHA256.HashData(key.ExportSubjectPublicKeyInfo());

    /// <summary>IEEE P1363 (r || s, 64 bytes) signature over SHA-256 of <paramref name="message"/>.</summary>
    internal int Sign(ReadOnlySpan<byte> message, Span<byte> signature) =>
        _key.SignData(message, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
}
