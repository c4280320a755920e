namespace Broker.Ssm.Protocol;

/// <summary>The <c>Flags</c> header field.</summary>
[Flags]
public enum MessageFlagBits : ulong
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>The first message of a stream (output sequence 0).</summary>
    Syn = 1,

    /// <summary>The last message of a stream.</summary>
    Fin = 2,
}
