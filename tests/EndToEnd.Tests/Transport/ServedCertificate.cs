using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace EndToEnd.Tests.Transport;

/// <summary>Reads the certificate a TLS endpoint presents (its thumbprint), without trusting it.</summary>
internal static class ServedCertificate
{
    public static async Task<string> ThumbprintAsync(Uri endpoint)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endpoint.Host, endpoint.Port).WaitAsync(TimeSpan.FromSeconds(30));
        // Only the presented certificate matters here, not whether it is trusted (an expired one is read too).
        string? thumbprint = null;
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
        {
            thumbprint = certificate?.GetCertHashString();
            return thumbprint is not null;
        });
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = endpoint.Host,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
        }).WaitAsync(TimeSpan.FromSeconds(30));
        return thumbprint ?? string.Empty;
    }

    /// <summary>Thumbprint of a PEM certificate file.</summary>
    public static string ThumbprintOf(string pemFile)
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(pemFile));
        return certificate.Thumbprint;
    }
}
