using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;

namespace Broker.Server.Cli;

/// <summary>
/// Checks, before anything of the broker starts, that every address it is to listen on can be
/// bound: a port already in use is one line naming the address, not a stack trace after the
/// credentials endpoint and the stores have started.
/// </summary>
internal static class ListenAddresses
{
    /// <summary>The first address that cannot be bound, explained in one line; null when all can.</summary>
    public static string? FindProblem(IEnumerable<string> urls)
    {
        foreach (var url in urls)
        {
            BindingAddress binding;
            try
            {
                binding = BindingAddress.Parse(url);
            }
            catch (FormatException e)
            {
                return $"cannot listen on '{url}': {e.Message}";
            }

            if (binding.IsUnixPipe || binding.Port == 0)
            {
                continue;
            }

            if (Probe(Address(binding.Host), binding.Port) is { } error)
            {
                return error switch
                {
                    SocketError.AddressAlreadyInUse => $"cannot listen on {url}: the address is already in use (another broker, or another program, listens on port {binding.Port}); stop it or choose another address with --urls",
                    SocketError.AddressNotAvailable => $"cannot listen on {url}: {binding.Host} is not an address of this machine",
                    SocketError.AccessDenied => $"cannot listen on {url}: not permitted to use port {binding.Port}",
                    _ => $"cannot listen on {url}: {error}",
                };
            }
        }

        return null;
    }

    private static IPAddress Address(string host) => host switch
    {
        "localhost" => IPAddress.Loopback,
        "*" or "+" => IPAddress.Any,
        _ when IPAddress.TryParse(host.Trim('[', ']'), out var address) => address,

        // Kestrel listens on every address for a host name it does not resolve itself.
        _ => IPAddress.Any,
    };

    private static SocketError? Probe(IPAddress address, int port)
    {
        var listener = new TcpListener(address, port);
        try
        {
            listener.Start();
            return null;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
        finally
        {
            listener.Stop();
        }
    }
}
