namespace Broker.Masking.Detection;

/// <summary>
/// How a masked region goes on once it had to be masked before its end was seen (the hold bound
/// was reached, or a PEM block started): the masker keeps masking until this says the secret ended.
/// </summary>
internal enum Continuation
{
    /// <summary>Up to the next whitespace.</summary>
    UntilWhitespace,

    /// <summary>Up to the closing double quote of a JSON string.</summary>
    UntilQuote,

    /// <summary>Up to the end of the <c>-----END … PRIVATE KEY-----</c> line.</summary>
    UntilPemEnd,

    /// <summary>Up to the end of the <c>---- END SSH2 … PRIVATE KEY ----</c> line.</summary>
    UntilSsh2End,

    /// <summary>Up to the first line that is not base64 (a key body printed without its BEGIN and END lines).</summary>
    UntilBlockEnd,
}
