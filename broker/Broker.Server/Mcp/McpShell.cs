using System.Text;
using Broker.Core.Sessions;
using Broker.Policy;
using Broker.Server.Composition;
using Broker.Server.Interactive;

namespace Broker.Server.Mcp;

/// <summary>
/// One shell an agent drives across tool calls: a session the composer opened (line mode unless a role grants a raw
/// terminal), its output pumped into a <see cref="ShellOutputRing"/>, and an idle timer that ends it (and lets it go) when no
/// call touches it for <see cref="McpLimits.ShellIdleTimeout"/>: an ended shell stays readable until then or until closed.
/// </summary>
internal sealed class McpShell : IAsyncDisposable
{
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(10);
    private readonly OpenedSession _opened;
    private readonly ITimer _idle;
    private readonly TimeSpan _idleTimeout;
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private readonly Task _pump;
    private long _delivered;

    public McpShell(string id, SessionOwner owner, OpenedSession opened, McpLimits limits, TimeProvider time, Action<McpShell> idle)
    {
        Id = id;
        Owner = owner;
        _opened = opened;
        _idleTimeout = limits.ShellIdleTimeout;
        Output = new ShellOutputRing(limits.ShellBufferChars);
        _idle = time.CreateTimer(_ =>
        {
            Session.Terminate(SessionEndReason.IdleTimeout, "the MCP shell was idle too long; the broker ended it");
            idle(this);
        }, null, _idleTimeout, Timeout.InfiniteTimeSpan);
        _pump = PumpAsync();
    }

    public string Id { get; }

    public SessionOwner Owner { get; }

    public Session Session => _opened.Session;

    public ShellOutputRing Output { get; }

    /// <summary>The cursor after the output last returned to the agent: where <c>shell_send</c>'s answer starts.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    public bool Ended => !Session.IsRunning;

    /// <summary>A tool call used the shell: the idle clock starts again.</summary>
    public void Touch() => _idle.Change(_idleTimeout, Timeout.InfiniteTimeSpan);

    /// <summary>Records that the agent was given output up to <paramref name="cursor"/>.</summary>
    public void Deliver(long cursor)
    {
        long seen;
        while ((seen = Interlocked.Read(ref _delivered)) < cursor && Interlocked.CompareExchange(ref _delivered, cursor, seen) != seen)
        {
        }
    }

    /// <summary>Types <paramref name="input"/>: in line mode each line goes through the policy before the shell sees it.</summary>
    public async ValueTask<InputResult> SendAsync(string input, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(input);
        if (!Session.IsRunning)
        {
            return InputResult.Ended;
        }

        if (_opened.Line is { } line)
        {
            return await line.InputAsync(bytes, Session.Limits, cancellationToken).ConfigureAwait(false);
        }

        // A raw terminal's auditor sees the keys before they are written, as for a gRPC terminal.
        if (Session.Limits.CheckInputFrame(bytes.Length) is null)
        {
            _opened.Auditor?.Keys(bytes);
        }

        return await Session.SendInputAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends the shell (if it still runs) and waits for its end to be recorded; its exit code.</summary>
    public async Task<int?> CloseAsync()
    {
        Session.Abandon();
        await Task.WhenAny(_pump, Task.Delay(CloseWait, CancellationToken.None)).ConfigureAwait(false);
        return Session.ExitStatus?.Code;
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        await _idle.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Everything the session shows goes into the ring, as a terminal would show it; the end closes the ring.</summary>
    private async Task PumpAsync()
    {
        await Task.Yield();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(4096)];
        try
        {
            await foreach (var item in Session.Events.ReadAllAsync().ConfigureAwait(false))
            {
                switch (item)
                {
                    case SessionEvent.Output output:
                        Write(output.Data.Span, chars);
                        output.Release();
                        break;
                    case SessionEvent.Notice { Kind: not NoticeKind.Setup } notice:
                        Output.Append($"\r\nbroker: {notice.Message}\r\n");
                        break;
                    case SessionEvent.Decision { Value: TypedCommandDecision { Masked: { Decision.Verdict: Verdict.Deny } denied } }:
                        Output.Append($"broker: denied ({denied.Decision.RuleId ?? "no rule"}): {denied.Reason}\r\n");
                        break;
                }
            }

            await Session.Ended.ConfigureAwait(false);
            await _opened.Interaction.ConfigureAwait(false);
        }
        finally
        {
            Output.Close();
        }
    }

    private void Write(ReadOnlySpan<byte> data, char[] chars)
    {
        while (!data.IsEmpty)
        {
            var take = Math.Min(data.Length, 4096);
            var count = _decoder.GetChars(data[..take], chars, flush: false);
            Output.Append(chars.AsSpan(0, count));
            data = data[take..];
        }
    }
}
