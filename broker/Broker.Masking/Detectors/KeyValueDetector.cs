using System.Buffers;
using System.Runtime.CompilerServices;
using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// Secrets named by their key: <c>key=value</c>, <c>key: value</c>, <c>"key": "value"</c>, <c>--key=value</c>,
/// <c>--key value</c>, <c>key&lt;TAB&gt;value</c>, <c>&lt;Key&gt;value&lt;/Key&gt;</c>, <c>Password=…;</c> in
/// connection strings. The key decides the detector (see <see cref="SecretKeys"/>): AWS secret keys and session
/// tokens, Azure account keys, JSON secret fields, connection-string passwords, and otherwise any key ending
/// in a secret keyword, whose value must then clear a length and entropy threshold.
/// </summary>
internal sealed class KeyValueDetector(Func<string, bool> enabled) : Detector
{
    private const int MaxKey = 128;

    private static readonly string[] s_authSchemes = ["bearer ", "basic ", "token ", "digest "];
    private static readonly int LongestScheme = s_authSchemes.Max(s => s.Length);
    private static readonly SearchValues<byte> s_terminators = SearchValues.Create(" \t\n\r\f\v,;\"'&)]}<>"u8);
    private static readonly SearchValues<byte> s_xmlTerminators = SearchValues.Create("<\n\r"u8);
    private static readonly SearchValues<byte> s_metavariable = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZ_"u8);

    private readonly SecretKeys _keys = new(enabled);

    public override IReadOnlyList<string> Needles { get; } =
        [
            "pass", "pwd", "secret", "token", "api_key", "apikey", "api-key", "access_key", "accesskey", "accountkey", "private_key", "privatekey", "authorization",
            "app_key", "appkey", "admin_key", "adminkey", "master_key", "masterkey", "signing_key", "signingkey", "encryption_key", "encryptionkey", "_pat", "-pat",
        ];

    public override bool NeedlesIgnoreCase => true;

    public override int Lookback => MaxKey + 16;

    [SkipLocalsInit]
    public override void OnNeedle(in ScanText text, int index, string needle, Findings findings)
    {
        var bytes = text.Bytes;
        var judged = findings.JudgedKey;
        if (judged.End > 0 && index >= judged.Start && index + needle.Length <= judged.End && index - judged.Start <= MaxKey && judged.End - index <= MaxKey)
        {
            // The searches below would find that same whole key from here (it is within MaxKey both ways), and all that
            // follows depends only on the key: what it decided is in the findings already.
            return;
        }

        var keyStart = index;
        while (keyStart > 0 && index - keyStart < MaxKey && ByteClass.IsKeyChar(bytes[keyStart - 1]))
        {
            keyStart--;
        }

        var keyEnd = index + needle.Length;
        while (keyEnd < bytes.Length && keyEnd - index < MaxKey && ByteClass.IsKeyChar(bytes[keyEnd]))
        {
            keyEnd++;
        }

        if (keyEnd >= bytes.Length)
        {
            return;
        }

        if ((keyStart == 0 || !ByteClass.IsKeyChar(bytes[keyStart - 1])) && !ByteClass.IsKeyChar(bytes[keyEnd]))
        {
            // A whole run (not cut by MaxKey): any needle inside it finds the same key.
            findings.JudgedKey = (keyStart, keyEnd);
        }

        var shape = Separate(text, keyStart, keyEnd);
        if (shape.Kind == ValueKind.None || shape.ValueStart >= bytes.Length)
        {
            return;
        }

        // A quote and the longest auth scheme are all that can lie between here and the value: a value that must start
        // before From was decided by an earlier scan, its key only re-entered the look-behind.
        if (shape.ValueStart + 1 + LongestScheme < text.From)
        {
            return;
        }

        Span<char> keyBuffer = stackalloc char[MaxKey * 2 + 16];
        var rawKey = bytes[keyStart..keyEnd];
        var key = SecretKeys.Normalize(rawKey, keyBuffer);
        var isAuthorization = key.EndsWith("authorization", StringComparison.Ordinal);
        var q = shape.ValueStart;
        var quote = bytes[q];
        if (quote is (byte)'"' or (byte)'\'' && (quote == shape.OpenQuote || text.At(q + 1) is (byte)' ' or (byte)'\t'))
        {
            // `read -p 'Password: ' pw`, `label="token:"`: the quote closes the string the key stands in (right after
            // it, or after other words: `'Enter token: ' TOKEN`), which holds a label and no value.
            return;
        }

        int valueStart, valueEnd;
        Continuation continuation;
        if (shape.Kind != ValueKind.Xml && quote is (byte)'"' or (byte)'\'')
        {
            valueStart = isAuthorization ? SkipScheme(bytes, q + 1) : q + 1;
            if (valueStart < text.From)
            {
                return;
            }

            valueEnd = ClosingQuote(bytes, valueStart, quote);
            continuation = Continuation.UntilQuote;
            if (valueEnd < 0)
            {
                return;
            }
        }
        else
        {
            if (shape.JsonKey || bytes[q] is (byte)'\n' or (byte)'\r' || (shape.Kind == ValueKind.Option && !PlausibleOptionValue(bytes[q])))
            {
                return;
            }

            valueStart = isAuthorization ? SkipScheme(bytes, q) : q;
            if (valueStart < text.From)
            {
                return;
            }

            var length = bytes[valueStart..].IndexOfAny(shape.Kind == ValueKind.Xml ? s_xmlTerminators : s_terminators);
            valueEnd = length < 0 ? bytes.Length : valueStart + length;
            continuation = Continuation.UntilWhitespace;
        }

        var connectionForm = PrecededBySemicolon(bytes, keyStart);
        if (text.Open(valueEnd))
        {
            var provisional = _keys.Provisional(key, rawKey, bytes[valueStart..valueEnd], new SecretKeys.Form(shape.JsonKey, connectionForm));
            if (provisional is not null)
            {
                findings.AddCandidate(valueStart, provisional, distinctive: true, continuation);
            }

            return;
        }

        var value = bytes[valueStart..valueEnd];
        if (shape.Kind == ValueKind.Option && IsMetavariable(value))
        {
            return;
        }

        var name = _keys.Classify(key, rawKey, value, shape.JsonKey && quote == (byte)'"', text.At(valueEnd) == (byte)';' || connectionForm);
        if (name is not null)
        {
            findings.AddMatch(valueStart, valueEnd, name);
        }
    }

    /// <summary>How the key at [<paramref name="keyStart"/>, <paramref name="keyEnd"/>) is separated from its value, and where the value starts.</summary>
    private static Shape Separate(in ScanText text, int keyStart, int keyEnd)
    {
        var before = text.At(keyStart - 1);
        if (before == (byte)'<' && text.At(keyEnd) == (byte)'>')
        {
            return new Shape(ValueKind.Xml, keyEnd + 1, JsonKey: false);
        }

        var q = keyEnd;
        var jsonKey = before == (byte)'"' && text.At(q) == (byte)'"';
        byte openQuote = 0;
        if (before is (byte)'"' or (byte)'\'')
        {
            if (text.At(q) == before)
            {
                q++;
            }
            else
            {
                openQuote = before;
            }
        }

        var gap = q;
        var tabs = 0;
        var spaces = 0;
        while (text.At(q) is (byte)' ' or (byte)'\t')
        {
            tabs += text.At(q) == (byte)'\t' ? 1 : 0;
            spaces += text.At(q) == (byte)' ' ? 1 : 0;
            q++;
        }

        if (text.Open(q))
        {
            return new Shape(ValueKind.None, q, jsonKey, openQuote);
        }

        var separator = text.At(q);
        if (separator is (byte)'=' or (byte)':')
        {
            q++;
            if (text.At(q) is (byte)'=' or (byte)'>')
            {
                q++;
            }

            return new Shape(ValueKind.Separated, SkipBlanks(text, q), jsonKey, openQuote);
        }

        // Columns of a tab-separated listing (`aws_secret_access_key<TAB>value`): the tab is the separator.
        if (tabs > 0 && spaces == 0 && q > gap && !jsonKey)
        {
            return new Shape(ValueKind.Separated, q, JsonKey: false, openQuote);
        }

        // `--password VALUE`: a long option and its argument, one space apart.
        // (The key's own characters include dashes, so the two dashes start it.)
        if (spaces == 1 && tabs == 0 && text.At(keyStart) == (byte)'-' && text.At(keyStart + 1) == (byte)'-' && !jsonKey)
        {
            return new Shape(ValueKind.Option, q, JsonKey: false, openQuote);
        }

        return new Shape(ValueKind.None, q, jsonKey, openQuote);
    }

    // The next option, a variable reference or a placeholder are not an option's secret value.
    private static bool PlausibleOptionValue(byte first) => first is not ((byte)'-' or (byte)'$' or (byte)'<' or (byte)'[' or (byte)'{' or (byte)'|' or (byte)'\\');

    /// <summary>`PASSWORD`, `TOKEN_FILE`: a help text's name for the argument, not a value.</summary>
    private static bool IsMetavariable(ReadOnlySpan<byte> value) => value.IndexOfAnyExcept(s_metavariable) < 0;

    private static int SkipBlanks(in ScanText text, int i)
    {
        while (text.At(i) is (byte)' ' or (byte)'\t')
        {
            i++;
        }

        return i;
    }

    private static int SkipScheme(ReadOnlySpan<byte> bytes, int i)
    {
        foreach (var scheme in s_authSchemes)
        {
            if (i + scheme.Length <= bytes.Length && System.Text.Ascii.EqualsIgnoreCase(bytes.Slice(i, scheme.Length), scheme))
            {
                return i + scheme.Length;
            }
        }

        return i;
    }

    /// <summary>Index of the closing quote, the text length when it has not come yet, or -1 when the line ends first.</summary>
    private static int ClosingQuote(ReadOnlySpan<byte> bytes, int from, byte quote)
    {
        var i = from;
        while (i < bytes.Length)
        {
            var b = bytes[i];
            if (b == quote)
            {
                return i;
            }

            if (b is (byte)'\n' or (byte)'\r')
            {
                return -1;
            }

            i += b == (byte)'\\' && quote == (byte)'"' ? 2 : 1;
        }

        return bytes.Length;
    }

    private static bool PrecededBySemicolon(ReadOnlySpan<byte> bytes, int keyStart)
    {
        var i = keyStart - 1;
        while (i >= 0 && bytes[i] is (byte)' ' or (byte)'\t')
        {
            i--;
        }

        return i >= 0 && bytes[i] == (byte)';';
    }

    private enum ValueKind
    {
        None,
        Separated,
        Option,
        Xml,
    }

    /// <summary>How a key meets its value; <paramref name="OpenQuote"/> is the quote the key stands inside, still open after it (0 when none).</summary>
    private readonly record struct Shape(ValueKind Kind, int ValueStart, bool JsonKey, byte OpenQuote = 0);
}
