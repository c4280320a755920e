using System.Text;
using Broker.Masking.Detection;
using Broker.Masking.Detectors;

namespace Broker.Masking.Tests;

/// <summary>
/// A key holding several needles (<c>aws_secret_access_key</c>: <c>secret</c> and <c>access_key</c>) is judged once per
/// scan. Pinned against the plain way, where every needle is asked on its own: at every length of the text (so every key
/// and value is also cut by the end) the findings are the same.
/// </summary>
public class JudgedKeyTests
{
    private const string Text =
        "aws_secret_access_key = Hq3/UO8bdsKpLmW9x2Ry+TfGcE7nVaZ1kJ4sNwP0\n" +
        "DB_PASSWORD_TOKEN=gI3*HLBk%bvHEzuPyXQE; x-api-key-secret: 'Zx81kQ0pLm27vBn4'\n" +
        "{\"client_secret_token\": \"u8Qm2LxP0vZr7tYw\", \"pwd\": \"p4ss\"}\n" +
        "--private-key-password=hunter22secretvalue <SecretToken>abcDEF123ghiJKL456</SecretToken>\n";

    [Fact]
    public void A_key_with_several_needles_finds_what_each_needle_finds_alone_at_every_length()
    {
        var detector = new KeyValueDetector(_ => true);
        // A key longer than the 128 characters a key may have, with needles at both ends: it is cut, never judged once.
        var bytes = Encoding.ASCII.GetBytes(Text + "token_" + new string('k', 140) + "_password=QwErTy12345678ZxCv\n");
        for (var length = 1; length <= bytes.Length; length++)
        {
            foreach (var final in new[] { false, true })
            {
                var text = new ScanText(bytes.AsSpan(0, length), 0, final);
                var together = new Findings();
                together.Reset(0, 0);
                var alone = new List<object>();
                foreach (var (index, needle) in NeedlesIn(text.Bytes, detector.Needles))
                {
                    detector.OnNeedle(text, index, needle, together);
                    var own = new Findings();
                    own.Reset(0, 0);
                    detector.OnNeedle(text, index, needle, own);
                    alone.AddRange(own.Matches.Cast<object>().Concat(own.Candidates.Cast<object>()));
                }

                var found = together.Matches.Cast<object>().Concat(together.Candidates.Cast<object>()).Distinct().ToList();
                found.Should().BeEquivalentTo(alone.Distinct(), $"the first {length} bytes (final: {final})");
                if (length == bytes.Length)
                {
                    together.JudgedKey.End.Should().BePositive("a whole key was judged once");
                }
            }
        }
    }

    [Fact]
    public void The_judged_key_is_forgotten_when_a_scan_begins()
    {
        var findings = new Findings();
        findings.JudgedKey = (3, 20);

        findings.Reset(0, 0);

        findings.JudgedKey.Should().Be((0, 0));
    }

    private static List<(int Index, string Needle)> NeedlesIn(ReadOnlySpan<byte> bytes, IReadOnlyList<string> needles)
    {
        var found = new List<(int Index, string Needle)>();
        for (var index = 0; index < bytes.Length; index++)
        {
            foreach (var needle in needles)
            {
                if (ByteClass.MatchesIgnoreCase(bytes, index, needle))
                {
                    found.Add((index, needle));
                }
            }
        }

        return found;
    }
}
