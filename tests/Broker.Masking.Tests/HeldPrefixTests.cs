using System.Text;
using Broker.Masking.Detection;

namespace Broker.Masking.Tests;

/// <summary>
/// A needle or a registered secret cut by the end of the text is held from its first byte: found among the candidate
/// pass's positions near the end rather than by trying every position there. Each literal cut after every length, at
/// every offset across the vector widths, scanned from several starts.
/// </summary>
public class HeldPrefixTests
{
    private const string Secret = "Zq8/vR2kLm5Tx";

    private static readonly (string Literal, string Name, int Shortest)[] s_held =
    [
        ("AKIA", DetectorNames.AwsAccessKeyId, 1), ("ASIA", DetectorNames.AwsAccessKeyId, 1), ("A3T", DetectorNames.AwsAccessKeyId, 1),
        ("-----BEGIN ", DetectorNames.PemPrivateKey, 1), ("---- BEGIN ", DetectorNames.PemPrivateKey, 1),
        ("Private-Lines:", DetectorNames.PrivateKeyBody, 3), (Secret, "registered", 1),
        (Convert.ToHexStringLower(Encoding.UTF8.GetBytes(Secret)), "registered", 1),
    ];

    [Fact]
    public void A_literal_cut_by_the_end_is_held_from_its_first_byte_at_every_offset_and_length()
    {
        var secrets = new SecretRegistry();
        secrets.Register("registered", Secret);
        var profile = MaskingProfile.Default;
        var findings = new Findings();
        for (var offset = 1; offset < 140; offset++)
        {
            // Words before it, a space right before it: a literal at a word start.
            var filler = string.Concat(Enumerable.Repeat("ls -la ", 20))[..(offset - 1)] + " ";
            foreach (var (literal, name, shortest) in s_held)
            {
                for (var cut = shortest; cut < literal.Length; cut++)
                {
                    var bytes = Encoding.Latin1.GetBytes(filler + literal[..cut]);
                    foreach (var from in new[] { 0, offset / 2, offset - 1, offset })
                    {
                        findings.Reset(from, 0);
                        profile.Scan(new ScanText(bytes, from, final: false), secrets.Snapshot, findings);
                        findings.Candidates.Should().Contain(c => c.Start == offset && c.Name == name, $"'{literal[..cut]}' at {offset}, scanned from {from}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Token_heads_are_offered_in_the_rules_order()
    {
        // Heads cut by the end at one position hold in this order, and the first names what the hold delay masks.
        var detector = Detectors.TokenPrefixDetector.Create(_ => true)!;

        detector.AnchoredNeedles.Should().Equal(Detectors.TokenRules.For(_ => true).Select(r => r.Prefix));
    }

    [Fact]
    public void A_literal_in_another_letter_case_or_changed_before_the_end_is_not_held()
    {
        var secrets = new SecretRegistry();
        secrets.Register("registered", Secret);
        var findings = new Findings();
        foreach (var text in new[] { "see akia", "see -----begin", "see private-lines", "see zq8/vR2", "see AKIB", "see -----BEGIN\n", "see Zq8/vR3" })
        {
            var bytes = Encoding.Latin1.GetBytes(text);
            findings.Reset(0, 0);
            MaskingProfile.Default.Scan(new ScanText(bytes, 0, final: false), secrets.Snapshot, findings);
            findings.Candidates.Should().NotContain(c => c.Start == 4, text);
        }
    }
}
