using System.Text;
using Broker.Core.Targets;

namespace Broker.Ssm.Tests.Support;

/// <summary>Input for a process, every write bounded.</summary>
internal static class Keys
{
    /// <summary>Types <paramref name="text"/>; fails if the process no longer takes input.</summary>
    public static Task TypeAsync(ITargetProcess process, string text) => SendAsync(process, Encoding.UTF8.GetBytes(text));

    /// <summary>Sends <paramref name="data"/>; fails if the process no longer takes input.</summary>
    public static async Task SendAsync(ITargetProcess process, ReadOnlyMemory<byte> data) =>
        (await process.WriteInputAsync(data, CancellationToken.None).AsTask().WaitAsync(Waits.Step)).Should().BeTrue("the process takes input");
}
