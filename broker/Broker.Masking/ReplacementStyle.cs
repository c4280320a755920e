namespace Broker.Masking;

/// <summary>What a masked region becomes in the output.</summary>
public enum ReplacementStyle
{
    /// <summary><c>[MASKED:&lt;detector-name&gt;]</c>.</summary>
    Named,

    /// <summary>One <c>*</c> per masked character, line breaks and tabs kept, so full-screen layouts stay aligned.</summary>
    SameLength,
}
