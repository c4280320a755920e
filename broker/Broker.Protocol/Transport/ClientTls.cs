using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Broker.Protocol.Transport;

/// <summary>
/// How a client (agent-client, replay) reaches the broker over TLS: the server's certificate is always
/// verified, against the system's CAs or, with <see cref="CaFile"/>, against a private CA only; with
/// <see cref="CertificateFile"/> and <see cref="KeyFile"/> the client presents a certificate (mutual TLS).
/// </summary>
/// <param name="CaFile">CA certificates (PEM) the server's certificate must chain to, or null for the system's.</param>
/// <param name="CertificateFile">The client's certificate (PEM), or null.</param>
/// <param name="KeyFile">The client certificate's private key (PEM), or null.</param>
public sealed record ClientTls(string? CaFile, string? CertificateFile, string? KeyFile)
{
    /// <summary>System CAs, no client certificate.</summary>
    public static ClientTls Default { get; } = new(null, null, null);

    /// <summary>Whether anything differs from <see cref="Default"/>.</summary>
    public bool IsCustom => CaFile is not null || CertificateFile is not null || KeyFile is not null;

    /// <summary>
    /// The HTTP handler for a gRPC channel with these settings, or the problem (which file, what is wrong).
    /// Null handler and null problem mean the channel's default handler will do.
    /// </summary>
    public (SocketsHttpHandler? Handler, string? Problem) CreateHandler()
    {
        if (!IsCustom)
        {
            return (null, null);
        }

        if ((CertificateFile is null) != (KeyFile is null))
        {
            return (null, "a client certificate needs both its certificate and its key file");
        }

        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        try
        {
            if (CaFile is not null)
            {
                var authorities = new X509Certificate2Collection();
                authorities.ImportFromPemFile(CaFile);
                if (authorities.Count == 0)
                {
                    handler.Dispose();
                    return (null, $"CA file '{CaFile}' holds no certificate");
                }

                handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => IsTrusted(certificate, chain, errors, authorities);
            }

            if (CertificateFile is not null)
            {
                // A PEM key lives only in memory; as PKCS#12 SslStream can use it on every platform.
                using var pem = X509Certificate2.CreateFromPemFile(CertificateFile, KeyFile);
                handler.SslOptions.ClientCertificates = [X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)];
            }
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            handler.Dispose();
            return (null, $"cannot use the TLS files: {e.Message}");
        }

        return (handler, null);
    }

    /// <summary>The server's certificate must name the host it was reached by and chain to one of <paramref name="authorities"/>.</summary>
    private static bool IsTrusted(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
