using System.ComponentModel;
using System.Security.Claims;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace Broker.Integration.Tests.Mcp;

/// <summary>What the relay tests' tools saw: which calls were cancelled, and a gate that holds a tool until released.</summary>
public sealed class RelayToolProbe
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> _cancelled = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> _started = new();

    /// <summary>Completes when the hold tool with <paramref name="tag"/> was cancelled.</summary>
    public Task Cancelled(string tag) => _cancelled.GetOrAdd(tag, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Completes when the hold tool with <paramref name="tag"/> has started.</summary>
    public Task Started(string tag) => _started.GetOrAdd(tag, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    internal void MarkStarted(string tag) => _started.GetOrAdd(tag, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    internal void MarkCancelled(string tag) => _cancelled.GetOrAdd(tag, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}

/// <summary>Small tools the relay tests call: they show what the relay carries, not what the broker's tools do.</summary>
[McpServerToolType]
public sealed class RelayTestTools
{
    [McpServerTool(Name = "test_whoami"), Description("Says which subject the call was authenticated as.")]
    public static string WhoAmI(ClaimsPrincipal? user) => user?.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? "nobody";

    [McpServerTool(Name = "test_count"), Description("Reports progress from 1 to count, then returns the tag.")]
    public static async Task<string> Count(string tag, int count, IProgress<ProgressNotificationValue> progress, CancellationToken cancellationToken)
    {
        for (var i = 1; i <= count; i++)
        {
            progress.Report(new ProgressNotificationValue { Progress = i, Total = count, Message = tag });
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
        }

        return tag;
    }

    [McpServerTool(Name = "test_hold"), Description("Waits until the call is cancelled.")]
    public static async Task<string> Hold(string tag, RelayToolProbe probe, CancellationToken cancellationToken)
    {
        probe.MarkStarted(tag);
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            probe.MarkCancelled(tag);
            throw;
        }

        return tag;
    }
}
