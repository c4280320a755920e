namespace Broker.Ssm.Protocol;

/// <summary>Why a received frame was dropped without an acknowledgement.</summary>
public enum FrameRejection
{
    /// <summary>The frame was accepted.</summary>
    None,

    /// <summary>Shorter than the fixed header.</summary>
    TooShort,

    /// <summary>HeaderLength is below the 116 the layout needs, or points past the end of the frame.</summary>
    BadHeaderLength,

    /// <summary>The MessageType field is empty once NULs and spaces are trimmed, or not ASCII.</summary>
    BadMessageType,

    /// <summary>CreatedDate is 0.</summary>
    ZeroCreatedDate,

    /// <summary>The payload does not hash to PayloadDigest.</summary>
    DigestMismatch,
}
