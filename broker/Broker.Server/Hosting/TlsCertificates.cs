using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Broker.Policy;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Broker.Server.Hosting;

/// <summary>
/// The server's TLS certificate (and the CA its clients' certificates must chain to), read from the
/// files the configuration names and reloaded when they change, without a restart: a watcher on their
/// directories reacts at once, and a periodic check of their contents catches what watchers miss (a
/// Kubernetes secret's symlink swap). Every handshake takes the current snapshot; a reload that fails
/// (a key written before its certificate) keeps the previous one and is retried at the next change.
/// </summary>
internal sealed partial class TlsCertificates : IDisposable
{
    private readonly TlsDefinition _definition;
    private readonly ILogger<TlsCertificates> _logger;
    private readonly Lock _reloadGate = new();
    private readonly ITimer _poll;
    private readonly List<FileSystemWatcher> _watchers = [];
    private Snapshot _current;

    public TlsCertificates(TlsDefinition definition, TimeProvider time, ILogger<TlsCertificates> logger)
    {
        _definition = definition;
        _logger = logger;
        _current = Load(definition, Fingerprint(definition));
        foreach (var directory in new[] { definition.Certificate, definition.Key, definition.ClientCa }.OfType<string>().Select(Path.GetDirectoryName).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            var watcher = new FileSystemWatcher(directory) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime };
            watcher.Changed += (_, _) => Reload();
            watcher.Created += (_, _) => Reload();
            watcher.Renamed += (_, _) => Reload();
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }

        _poll = time.CreateTimer(_ => Reload(), null, definition.ReloadInterval, definition.ReloadInterval);
    }

    /// <summary>The certificate handshakes present now.</summary>
    public X509Certificate2 Certificate => Volatile.Read(ref _current).Certificate;

    /// <summary>Kestrel's options for a TLS endpoint: the current certificate, and client certificates as configured.</summary>
    public HttpsConnectionAdapterOptions HttpsOptions(TimeSpan handshakeTimeout) => new()
    {
        ServerCertificateSelector = (_, _) => Certificate,
        ClientCertificateMode = _definition.ClientCa is null ? ClientCertificateMode.NoCertificate
            : _definition.RequireClientCertificate ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.AllowCertificate,
        ClientCertificateValidation = (certificate, _, _) => IsTrustedClient(certificate),
        SslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
        HandshakeTimeout = handshakeTimeout,
    };

    /// <summary>Checks the files and swaps the snapshot when their contents changed; returns whether it did.</summary>
    public bool Reload()
    {
        lock (_reloadGate)
        {
            string fingerprint;
            try
            {
                fingerprint = Fingerprint(_definition);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogReloadFailed(_logger, e.Message);
                return false;
            }

            if (fingerprint == Volatile.Read(ref _current).Fingerprint)
            {
                return false;
            }

            try
            {
                var next = Load(_definition, fingerprint);
                // The previous certificate is left to the finaliser: a handshake may still be using it.
                Volatile.Write(ref _current, next);
                LogReloaded(_logger, next.Certificate.Subject, next.Certificate.NotAfter);
                return true;
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                LogReloadFailed(_logger, e.Message);
                return false;
            }
        }
    }

    public void Dispose()
    {
        _poll.Dispose();
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }
    }

    private bool IsTrustedClient(X509Certificate2 certificate)
    {
        if (Volatile.Read(ref _current).ClientAuthorities is not { } authorities)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate);
    }

    private static Snapshot Load(TlsDefinition definition, string fingerprint)
    {
        // A PEM key lives only in memory here; exporting to PKCS#12 gives SslStream a key it can use on every platform.
        using var pem = X509Certificate2.CreateFromPemFile(definition.Certificate, definition.Key);
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        X509Certificate2Collection? authorities = null;
        if (definition.ClientCa is not null)
        {
            authorities = [];
            authorities.ImportFromPemFile(definition.ClientCa);
            if (authorities.Count == 0)
            {
                throw new CryptographicException($"{definition.ClientCa} holds no certificate");
            }
        }

        return new Snapshot(certificate, authorities, fingerprint);
    }

    private static string Fingerprint(TlsDefinition definition)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in new[] { definition.Certificate, definition.Key, definition.ClientCa }.OfType<string>())
        {
            hash.AppendData(File.ReadAllBytes(path));
            hash.AppendData([0]);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private sealed record Snapshot(X509Certificate2 Certificate, X509Certificate2Collection? ClientAuthorities, string Fingerprint);

    [LoggerMessage(Level = LogLevel.Information, Message = "TLS certificate reloaded: {Subject}, valid until {NotAfter:u}")]
    private static partial void LogReloaded(ILogger logger, string subject, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "TLS files changed but could not be loaded; the previous certificate stays in use: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string reason);
}
