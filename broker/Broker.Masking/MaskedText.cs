namespace Broker.Masking;

/// <summary>A text with its secrets masked, and how many regions each detector masked in it.</summary>
/// <param name="Text">The masked text.</param>
/// <param name="Counts">Masked regions per detector (empty when nothing was masked).</param>
public sealed record MaskedText(string Text, IReadOnlyDictionary<string, long> Counts);
