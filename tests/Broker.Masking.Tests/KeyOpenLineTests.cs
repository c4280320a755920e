using System.Text;
using Broker.Masking.Detection;
using Broker.Masking.Detectors;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// The key-body detector holds an unfinished last line that is base64 so far, from the first of the key-shaped lines it
/// continues. It reads that line and the lines above from the token run the text ends with, without searching for their
/// newlines. Pinned against a plain reading that searches for every line's start and end: at every length of texts with
/// key bodies (indented, CRLF, at the text's start), short words at line starts, padding, separators and public keys, the
/// text held is the same.
/// </summary>
public class KeyOpenLineTests
{
    private const string Base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    public static TheoryData<string> Texts()
    {
        var random = new Random(27);
        var body = string.Join('\n', SecretCorpus.PemBody);
        return new TheoryData<string>
        {
            $"$ cat id_key\n{body}\n$ echo done\nroot\ncommit 4f2a\n  agent\n",
            $"  {Line(random, 64)}\n  {Line(random, 64)}\n  {Line(random, 64)}\n  {Line(random, 30)}==\n",
            $"\t{Line(random, 70)}\r\n\t{Line(random, 70)}\r\n\t{Line(random, 70)}\r\n\tend-of_it.x\r\n",
            $"x\n{Line(random, 72)}\n{new string('A', 72)}\n{Line(random, 72)}\n  {Line(random, 72)}\n{Line(random, 80)}\nabc\n",
            $"{Line(random, 64)}\n{Line(random, 64)}\nssh\n\n\n   \n{Line(random, 64)}\n",
            $"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA{Line(random, 20)}\n{Line(random, 64)}\n{Line(random, 10)}\n",
            $"AAAAB3NzaC1yc2EAAAADAQABAAABAQ{Line(random, 34)}\n{Line(random, 64)}\nAAAA\n",
            $"x\n{Convert.ToBase64String(Encoding.ASCII.GetBytes("-----BEGIN CERTIFICATE-----\nMIIB"))}\nLS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t\n",
            $"x\nMIIB\nMIIBCgKCAQEA{Line(random, 52)}\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0B\n",
        };
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void The_open_line_held_at_every_length_is_that_of_a_plain_reading(string input)
    {
        var bytes = Encoding.ASCII.GetBytes(input);
        for (var length = 0; length <= bytes.Length; length++)
        {
            var window = bytes.AsSpan(0, length);
            var text = new ScanText(window, 0, final: false) { Classes = ByteClasses.Of(window) };
            var findings = new Findings();
            findings.Reset(0, 0);

            KeyMaterialDetector.HoldOpenLine(text, findings);

            findings.Candidates.Should().Equal(PlainHold(window), $"the first {length} bytes");
        }
    }

    private static string Line(Random random, int width) => new([.. Enumerable.Range(0, width).Select(_ => Base64[random.Next(Base64.Length)])]);

    /// <summary>The open line and the lines above found by searching for newlines, as the detector used to.</summary>
    private static List<Candidate> PlainHold(ReadOnlySpan<byte> bytes)
    {
        var held = new List<Candidate>();
        var tail = bytes.Length;
        while (tail > 0 && TokenRuns.IsTokenChar(bytes[tail - 1]))
        {
            tail--;
        }

        var indent = tail;
        while (indent > 0 && bytes[indent - 1] is (byte)' ' or (byte)'\t')
        {
            indent--;
        }

        if (indent > 0 && bytes[indent - 1] != (byte)'\n')
        {
            return held;
        }

        var open = KeyMaterialDetector.Line(bytes, LineStart(bytes, bytes.Length));
        if (open.Complete || open.BodyLength > 72 || !IsBase64(bytes.Slice(open.BodyStart, open.BodyLength)))
        {
            return held;
        }

        var top = open;
        var shaped = 0;
        for (var above = 0; above < 64 && top.BodyStart > 1; above++)
        {
            var previous = KeyMaterialDetector.Line(bytes, LineStart(bytes, LineStart(bytes, top.BodyStart) - 1));
            var previousBody = bytes.Slice(previous.BodyStart, previous.BodyLength);
            if (previous.BodyLength is not (64 or 70 or 72) || !IsBase64(previousBody))
            {
                break;
            }

            shaped += SecretKeys.Entropy(previousBody) >= 4.7 ? 1 : 0;
            top = previous;
        }

        if (top.BodyLength > 0 && KeyShapes.Judge(bytes.Slice(top.BodyStart, top.BodyLength), complete: top.End < bytes.Length) == KeyShape.Public)
        {
            return held;
        }

        if (open.BodyLength >= 4 || top.BodyStart < open.BodyStart)
        {
            held.Add(new Candidate(top.BodyStart, DetectorNames.PrivateKeyBody, shaped >= 2, Continuation.UntilBlockEnd));
        }

        return held;
    }

    private static bool IsBase64(ReadOnlySpan<byte> body)
    {
        foreach (var b in body)
        {
            if (!(Base64.Contains((char)b, StringComparison.Ordinal) || b == (byte)'='))
            {
                return false;
            }
        }

        return true;
    }

    private static int LineStart(ReadOnlySpan<byte> bytes, int index) => index <= 0 ? 0 : bytes[..index].LastIndexOf((byte)'\n') + 1;
}
