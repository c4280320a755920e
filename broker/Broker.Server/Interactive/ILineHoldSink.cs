using Broker.Policy;

namespace Broker.Server.Interactive;

/// <summary>Where a line held for approval reports, in order with the session's other line-mode steps.</summary>
internal interface ILineHoldSink
{
    /// <summary>Shows <paramref name="text"/> on the agent's terminal (through the session's masking, as all output).</summary>
    void Show(string text);

    /// <summary>The review of the line given <paramref name="handle"/> ended with <paramref name="verdict"/>.</summary>
    void HoldEnded(long handle, LineVerdict verdict);
}
