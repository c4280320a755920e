using System.Globalization;
using System.Security.Cryptography;
using Broker.Identity.Tokens;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Identity.Dev;

/// <summary>
/// The broker's built-in token issuer for dev mode: an ECDSA P-256 key kept in the data directory,
/// minting ES256 tokens that the <see cref="TokenValidator"/> accepts through <see cref="Settings"/>.
/// </summary>
public sealed class DevIssuer
{
    /// <summary>The <c>iss</c> of every dev token.</summary>
    public const string IssuerName = "broker-dev";

    /// <summary>The <c>aud</c> of every dev token.</summary>
    public const string Audience = "broker";

    /// <summary>The key file's name inside the data directory.</summary>
    public const string KeyFileName = "dev-issuer-key.pem";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly ECDsaSecurityKey _signingKey;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    private DevIssuer(ECDsa key, TimeProvider time)
    {
        _time = time;
        var publicKey = new ECDsaSecurityKey(ECDsa.Create(key.ExportParameters(includePrivateParameters: false)));
        var keyId = Base64UrlEncoder.Encode(JsonWebKeyConverter.ConvertFromECDsaSecurityKey(publicKey).ComputeJwkThumbprint());
        publicKey.KeyId = keyId;
        _signingKey = new ECDsaSecurityKey(key) { KeyId = keyId };
        Settings = new IssuerSettings
        {
            Issuer = IssuerName,
            Audience = Audience,
            Algorithms = [SecurityAlgorithms.EcdsaSha256],
            SigningKeys = [publicKey],
            UnknownKeyHint = "the dev issuer's key lives in the broker's data directory: mint tokens with `broker token --data DIR` naming the directory `broker serve --dev` uses",
        };
    }

    /// <summary>The trusted-issuer entry for the validator, holding the public key only.</summary>
    public IssuerSettings Settings { get; }

    /// <summary>The key id (RFC 7638 thumbprint) in every minted token's header.</summary>
    public string KeyId => _signingKey.KeyId;

    /// <summary>Whether <paramref name="dataDirectory"/> holds a dev issuer key (a dev broker has used it, or one was created with <c>broker token --init</c>).</summary>
    /// <param name="dataDirectory">The broker's data directory.</param>
    /// <returns>True when the key file exists.</returns>
    public static bool ExistsIn(string dataDirectory) => File.Exists(Path.Combine(dataDirectory, KeyFileName));

    /// <summary>Loads the dev key from <paramref name="dataDirectory"/>, creating it (mode 0600) if missing.</summary>
    /// <param name="dataDirectory">The broker's data directory; created if missing.</param>
    /// <returns>The issuer.</returns>
    public static DevIssuer LoadOrCreate(string dataDirectory) => LoadOrCreate(dataDirectory, TimeProvider.System);

    /// <summary>Loads the dev key from <paramref name="dataDirectory"/>, creating it (mode 0600) if missing.</summary>
    /// <param name="dataDirectory">The broker's data directory; created if missing.</param>
    /// <param name="time">The clock for <c>iat</c>, <c>nbf</c> and <c>exp</c>.</param>
    /// <returns>The issuer.</returns>
    /// <exception cref="InvalidOperationException">The key file is readable by others or is not an ECDSA P-256 key.</exception>
    public static DevIssuer LoadOrCreate(string dataDirectory, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        ArgumentNullException.ThrowIfNull(time);
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, KeyFileName);
        var key = ECDsa.Create();
        try
        {
            if (!TryCreateKeyFile(path, key))
            {
                LoadKeyFile(path, key);
            }

            return new DevIssuer(key, time);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Mints a dev token.</summary>
    /// <param name="subject">The <c>sub</c>.</param>
    /// <param name="groups">The <c>groups</c> claim (always an array).</param>
    /// <param name="lifetime">Time from now until <c>exp</c>.</param>
    /// <returns>The compact ES256 JWS.</returns>
    public string Mint(string subject, IReadOnlyList<string> groups, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        var now = _time.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = IssuerName,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = subject,
                ["groups"] = groups.ToArray(),
                [JwtRegisteredClaimNames.Jti] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            },
            SigningCredentials = new SigningCredentials(_signingKey, SecurityAlgorithms.EcdsaSha256),
        });
    }

    private static bool TryCreateKeyFile(string path, ECDsa key)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        FileStream stream;
        try
        {
            stream = new FileStream(path, options);
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }

        key.GenerateKey(ECCurve.NamedCurves.nistP256);
        using (stream)
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(key.ExportPkcs8PrivateKeyPem());
        }

        return true;
    }

    private static void LoadKeyFile(string path, ECDsa key)
    {
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~OwnerOnly & ~UnixFileMode.UserExecute) != 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Dev issuer key {path} is accessible to other users; it must be mode 0600"));
        }

        key.ImportFromPem(File.ReadAllText(path));
        if (key.KeySize != 256 || key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            throw new InvalidOperationException($"Dev issuer key {path} is not an ECDSA P-256 key");
        }
    }
}
