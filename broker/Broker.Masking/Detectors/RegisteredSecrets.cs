using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// An immutable snapshot of a session's registered secrets, expanded into every form they are looked
/// for in, with one multi-string search over all of them.
/// </summary>
internal sealed class RegisteredSecrets
{
    public static readonly RegisteredSecrets Empty = new([]);

    private readonly Form[] _forms;
    private readonly SearchValues<string>? _search;
    private readonly int _longest;
    private readonly Form[][] _byFirstChar = new Form[256][];
    private readonly SearchValues<char> _firstChars;

    private RegisteredSecrets(Form[] forms)
    {
        _forms = forms;
        _longest = forms.Length == 0 ? 0 : forms.Max(f => f.Text.Length);
        _search = forms.Length == 0 ? null : SearchValues.Create([.. forms.Select(f => f.Text).Distinct(StringComparer.Ordinal)], StringComparison.Ordinal);
        for (var c = 0; c < _byFirstChar.Length; c++)
        {
            _byFirstChar[c] = [.. forms.Where(f => f.Text[0] == c)];
        }

        _firstChars = SearchValues.Create([.. forms.Select(f => f.Text[0]).Distinct()]);
    }

    public bool IsEmpty => _forms.Length == 0;

    public RegisteredSecrets With(string name, string value)
    {
        var added = FormsOf(name, value).Where(f => !_forms.Any(e => e.Text == f.Text));
        return new RegisteredSecrets([.. _forms, .. added]);
    }

    public void Scan(in ScanText text, Findings findings)
    {
        if (_search is null)
        {
            return;
        }

        var chars = text.Chars;
        var i = text.From;
        while (i < chars.Length)
        {
            var hit = chars[i..].IndexOfAny(_search);
            if (hit < 0)
            {
                break;
            }

            var start = i + hit;
            foreach (var form in _byFirstChar[chars[start]])
            {
                if (chars[start..].StartsWith(form.Text, StringComparison.Ordinal))
                {
                    Report(text, start, form, findings);
                }
            }

            i = start + 1;
        }

        if (text.Final)
        {
            return;
        }

        // Only positions holding a form's first character can start a held prefix; the rest are skipped in one search.
        var at = Math.Max(text.From, chars.Length - _longest + 1) - 1;
        while (++at < chars.Length)
        {
            var next = chars[at..].IndexOfAny(_firstChars);
            if (next < 0)
            {
                break;
            }

            at += next;
            var tail = chars[at..];
            foreach (var form in _byFirstChar[tail[0]])
            {
                if (form.Text.Length > tail.Length && form.Text.AsSpan().StartsWith(tail, StringComparison.Ordinal))
                {
                    findings.AddCandidate(at, form.Name, distinctive: true);
                    break;
                }
            }
        }
    }

    private static void Report(in ScanText text, int start, Form form, Findings findings)
    {
        var end = start + form.Text.Length;
        if (form.Kind != FormKind.Plain)
        {
            // The characters around the stable core still carry a few bits of the secret; mask them with it.
            if (text.Open(end))
            {
                findings.AddCandidate(start, form.Name, distinctive: true);
                return;
            }

            var next = text.At(end);
            if ((form.Kind != FormKind.Base64Url && ByteClass.IsBase64(next)) || (form.Kind != FormKind.Base64 && ByteClass.IsBase64Url(next)))
            {
                end++;
            }

            for (var pad = 0; pad < 2 && text.At(end) == (byte)'='; pad++)
            {
                end++;
            }

            if (text.Open(end))
            {
                findings.AddCandidate(start, form.Name, distinctive: true);
                return;
            }
        }

        findings.AddMatch(start, end, form.Name);
    }

    private static IEnumerable<Form> FormsOf(string name, string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        var literal = Encoding.Latin1.GetString(utf8);
        var forms = new HashSet<string>(StringComparer.Ordinal) { literal };
        yield return new Form(name, literal, FormKind.Plain);

        string[] encoded =
        [
            Convert.ToHexStringLower(utf8),
            Convert.ToHexString(utf8),
            Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(JavaScriptEncoder.UnsafeRelaxedJsonEscaping.Encode(value))),
            Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(Uri.EscapeDataString(value))),
            Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal))),
        ];
        foreach (var form in encoded)
        {
            if (forms.Add(form))
            {
                yield return new Form(name, form, FormKind.Plain);
            }
        }

        for (var alignment = 0; alignment < 3; alignment++)
        {
            var core = Base64Core(utf8, alignment);
            if (core.Length < SecretRegistry.MinimumLength)
            {
                continue;
            }

            // base64url (RFC 4648 §5) differs only in two letters of the alphabet; a core without them serves both.
            var urlCore = core.Replace('+', '-').Replace('/', '_');
            if (urlCore == core)
            {
                if (forms.Add(core))
                {
                    yield return new Form(name, core, FormKind.Base64Either);
                }

                continue;
            }

            if (forms.Add(core))
            {
                yield return new Form(name, core, FormKind.Base64);
            }

            if (forms.Add(urlCore))
            {
                yield return new Form(name, urlCore, FormKind.Base64Url);
            }
        }
    }

    /// <summary>
    /// The base64 characters fully determined by the secret when it starts <paramref name="alignment"/>
    /// bytes into a 3-byte group: the same whatever bytes surround it in the encoded stream.
    /// </summary>
    internal static string Base64Core(byte[] secret, int alignment)
    {
        var padded = new byte[alignment + secret.Length];
        secret.CopyTo(padded, alignment);
        var encoded = Convert.ToBase64String(padded).TrimEnd('=');
        var firstBit = alignment * 8;
        var endBit = firstBit + (secret.Length * 8);
        var first = (firstBit + 5) / 6;
        var last = endBit / 6;
        return last > first ? encoded[first..last] : string.Empty;
    }

    private sealed record Form(string Name, string Text, FormKind Kind);

    /// <summary>How a form's text sits in the output: as is, or as the stable core of a longer base64 text.</summary>
    private enum FormKind
    {
        Plain,
        Base64,
        Base64Url,
        Base64Either,
    }
}
