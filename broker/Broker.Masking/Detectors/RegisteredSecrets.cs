using System.Runtime.InteropServices;
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
    private readonly int _longest;
    private readonly Form[][] _byFirstChar = new Form[256][];

    private RegisteredSecrets(Form[] forms)
    {
        _forms = forms;
        _longest = forms.Length == 0 ? 0 : forms.Max(f => f.Text.Length);
        for (var c = 0; c < _byFirstChar.Length; c++)
        {
            _byFirstChar[c] = [.. forms.Where(f => f.Text[0] == c)];
        }

    }

    public bool IsEmpty => _forms.Length == 0;

    public RegisteredSecrets With(string name, string value)
    {
        var added = FormsOf(name, value).Where(f => !_forms.Any(e => e.Text == f.Text));
        return new RegisteredSecrets([.. _forms, .. added]);
    }

    /// <summary>The distinct texts of every form, for the shared candidate pass.</summary>
    public IEnumerable<string> SearchTexts => _forms.Select(f => f.Text).Distinct(StringComparer.Ordinal);

    /// <summary>Reports the forms found at <paramref name="heads"/> (the candidate pass's positions, in order) and holds a form cut by the end.</summary>
    public void Scan(in ScanText text, List<int> heads, Findings findings)
    {
        if (_forms.Length == 0)
        {
            return;
        }

        var bytes = text.Bytes;
        // The heads are in order, and those before the scan's start (found for the needles' look-behind) are few.
        var all = CollectionsMarshal.AsSpan(heads);
        var first = 0;
        while (first < all.Length && all[first] < text.From)
        {
            first++;
        }

        foreach (var start in all[first..])
        {
            foreach (var form in _byFirstChar[bytes[start]])
            {
                if (ByteClass.MatchesWhole(bytes, start, form.Text))
                {
                    Report(text, start, form, findings);
                }
            }
        }

        if (text.Final)
        {
            return;
        }

        HoldPrefixes(bytes, all[first..], Math.Max(text.From, bytes.Length - _longest + 1), findings);
    }

    /// <summary>
    /// Every position from <paramref name="lowest"/> on where the text ends with a proper prefix of a form holds, named
    /// after the first such form. The candidate pass reported every such position (it judges a position cut by the end
    /// by the bytes that are there), so only its heads there are tried, not every position within the longest form's
    /// length of the end (a fixed cost of every push).
    /// </summary>
    private void HoldPrefixes(ReadOnlySpan<byte> chars, ReadOnlySpan<int> heads, int lowest, Findings findings)
    {
        var first = heads.Length;
        while (first > 0 && heads[first - 1] >= lowest)
        {
            first--;
        }

        foreach (var at in heads[first..])
        {
            var cut = chars[at..];
            foreach (var form in _byFirstChar[chars[at]])
            {
                if (form.Text.Length > cut.Length && ByteClass.MatchesAt(cut, 0, form.Text))
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
