using System.Net;

namespace Broker.Server.Hosting;

/// <summary>
/// One address the broker listens on, from a URL. Bearer tokens must never cross a network in clear:
/// an <c>http://</c> URL is accepted only on loopback, unless plaintext was asked for explicitly.
/// </summary>
internal sealed record ListenEndpoint(string Url, IPAddress? Address, bool Localhost, int Port, bool Tls)
{
    /// <summary>Plans every URL; the errors say which URL, what is wrong, and the flag or key that would allow it.</summary>
    public static (IReadOnlyList<ListenEndpoint> Endpoints, IReadOnlyList<string> Errors) Plan(IReadOnlyList<string> urls, bool tlsConfigured, bool allowPlaintext)
    {
        ArgumentNullException.ThrowIfNull(urls);
        var endpoints = new List<ListenEndpoint>();
        var errors = new List<string>();
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.AbsolutePath != "/" || uri.UserInfo.Length > 0)
            {
                errors.Add($"'{url}' is not a listen URL (http://ADDRESS:PORT or https://ADDRESS:PORT)");
                continue;
            }

            var tls = uri.Scheme == Uri.UriSchemeHttps;
            var host = uri.Host.Trim('[', ']');
            var localhost = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase);
            IPAddress? address = null;
            if (!localhost && host is not ("*" or "+") && !IPAddress.TryParse(host, out address))
            {
                errors.Add($"{url}: listen on an IP address or localhost, not the host name '{uri.Host}'");
                continue;
            }

            var any = !localhost && (address is null || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any));
            var loopback = localhost || (address is not null && IPAddress.IsLoopback(address));
            if (tls && !tlsConfigured)
            {
                errors.Add($"{url}: https needs a certificate and key (server.tls in the configuration)");
                continue;
            }

            if (!tls && !loopback && !allowPlaintext)
            {
                errors.Add($"refusing to listen on {url} without TLS: bearer tokens would cross the network in clear. "
                    + "Configure server.tls and an https:// URL, or pass --allow-plaintext (server.allow_plaintext: true) if plaintext is intended");
                continue;
            }

            endpoints.Add(new ListenEndpoint(url, any ? null : address, localhost, uri.Port, tls));
        }

        return (endpoints, errors);
    }
}
