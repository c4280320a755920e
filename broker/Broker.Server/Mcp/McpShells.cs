using System.Collections.Concurrent;
using System.Security.Cryptography;
using Broker.Core.Sessions;
using Broker.Identity.Tokens;
using Broker.Server.Composition;

namespace Broker.Server.Mcp;

/// <summary>
/// The shells agents keep open over MCP. A shell belongs to the caller (issuer and subject) that opened it: to
/// anyone else its id does not exist. A caller has at most <see cref="McpLimits.ShellsPerCaller"/> running; a shell
/// leaves the registry when it is closed or has been idle for <see cref="McpLimits.ShellIdleTimeout"/>.
/// </summary>
internal sealed class McpShells(SessionComposer composer, McpLimits limits, TimeProvider time) : IAsyncDisposable
{
    private const string Term = "xterm-256color";
    private readonly ConcurrentDictionary<string, McpShell> _shells = new(StringComparer.Ordinal);
    private readonly Lock _admission = new();
    private readonly Dictionary<SessionOwner, int> _opening = [];

    /// <summary>Opens a shell on <paramref name="target"/>, or says why not.</summary>
    public async Task<(McpShell? Shell, SessionOutcome? Refusal, string? Problem)> OpenAsync(AuthenticatedCaller caller, string target, int columns, int rows, CancellationToken cancellationToken)
    {
        var owner = new SessionOwner(caller.Identity.Issuer, caller.Identity.Subject);
        lock (_admission)
        {
            // The cap counts shells being opened too, so concurrent calls cannot pass it together.
            var opening = _opening.GetValueOrDefault(owner);
            if (opening + _shells.Values.Count(s => s.Owner == owner && !s.Ended) >= limits.ShellsPerCaller)
            {
                return (null, null, $"you have {limits.ShellsPerCaller} MCP shells open, the most allowed: close one (shell_close) first");
            }

            _opening[owner] = opening + 1;
        }

        try
        {
            var outcome = await composer.OpenAsync(caller.Identity, new SessionRequest.Shell(target, columns, rows, Term), cancellationToken).ConfigureAwait(false);
            if (outcome is not SessionOutcome.Opened opened)
            {
                return (null, outcome, null);
            }

            var shell = new McpShell("sh-" + NewId(), owner, opened.Session, limits, time, Forget);
            _shells[shell.Id] = shell;
            return (shell, null, null);
        }
        finally
        {
            lock (_admission)
            {
                if (--_opening[owner] == 0)
                {
                    _opening.Remove(owner);
                }
            }
        }
    }

    /// <summary>The caller's shell <paramref name="id"/>; null when there is none (or it is another caller's).</summary>
    public McpShell? Find(AuthenticatedCaller caller, string id) =>
        _shells.TryGetValue(id ?? string.Empty, out var shell) && shell.Owner == new SessionOwner(caller.Identity.Issuer, caller.Identity.Subject) ? shell : null;

    /// <summary>Closes the caller's shell and lets it go; its exit code, or null when it is not the caller's.</summary>
    public async Task<(bool Found, int? ExitCode)> CloseAsync(AuthenticatedCaller caller, string id)
    {
        if (Find(caller, id) is not { } shell)
        {
            return (false, null);
        }

        Forget(shell);
        var code = await shell.CloseAsync().ConfigureAwait(false);
        await shell.DisposeAsync().ConfigureAwait(false);
        return (true, code);
    }

    private void Forget(McpShell shell) => _shells.TryRemove(shell.Id, out _);

    public async ValueTask DisposeAsync()
    {
        foreach (var shell in _shells.Values.ToList())
        {
            await shell.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
}
