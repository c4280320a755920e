namespace Broker.Masking;

/// <summary>
/// The masking part of a role's policy. Validated once by <see cref="MaskingProfile.Create"/>.
/// </summary>
public sealed record MaskingSettings
{
    /// <summary>Default for <see cref="HoldDelay"/>.</summary>
    public static readonly TimeSpan DefaultHoldDelay = TimeSpan.FromMilliseconds(20);

    /// <summary>Default for <see cref="MaxHoldBytes"/>.</summary>
    public const int DefaultMaxHoldBytes = 16 * 1024;

    /// <summary>Detector names switched on in addition to the defaults (for example <c>email</c>).</summary>
    public IReadOnlyList<string> Enable { get; init; } = [];

    /// <summary>Detector names switched off.</summary>
    public IReadOnlyList<string> Disable { get; init; } = [];

    /// <summary>The role's own regular-expression detectors.</summary>
    public IReadOnlyList<CustomDetector> Custom { get; init; } = [];

    /// <summary>How a masked region is replaced.</summary>
    public ReplacementStyle Replacement { get; init; } = ReplacementStyle.Named;

    /// <summary>How long a held-back candidate may wait for more output before the session calls <see cref="StreamingMasker.FlushHeld(System.Buffers.IBufferWriter{byte})"/>.</summary>
    public TimeSpan HoldDelay { get; init; } = DefaultHoldDelay;

    /// <summary>Upper bound of the raw bytes a masker holds back; a longer candidate is masked from its start on.</summary>
    public int MaxHoldBytes { get; init; } = DefaultMaxHoldBytes;
}
