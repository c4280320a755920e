using System.Text;
using Broker.Masking.Detection;
using Broker.Masking.Detectors;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// Which anchors the anchored-head search remembers as active (<see cref="AnchorMemory"/>): the next search looks at the
/// anchors of the look-behind again only from the first of them. An anchor whose first two bytes begin some head but whose
/// next bytes do not can never be offered that head, so it is not active; one where a head is whole, or cut by the end
/// (offered as a prefix or not), is.
/// </summary>
public class AnchoredHeadsTests
{
    [Theory]
    [InlineData("ghx_abcdefghijklmnopqrstuvwxyz0123 and more\n", -1, false)]
    [InlineData("ghp_abcdefghijklmnopqrstuvwxyz0123 and more\n", 0, false)]
    [InlineData("some words ghx", -1, false)]
    [InlineData("some words gh", 11, false)]
    [InlineData("some words ghp", 11, false)]
    [InlineData("some words ghp", 11, true)]
    [InlineData("xyz_abcdefghijklmnopqrstuvwxyz0123 ghp_", 35, false)]
    [InlineData("xyz_ghq_ghx_ghp_abcdefghijklmnopqrstuvwxyz0123 ghx_", 12, false)]
    public void The_first_active_anchor_is_the_first_where_a_head_is_whole_or_cut_by_the_end(string input, int firstActive, bool holdsPrefix)
    {
        var bytes = Encoding.ASCII.GetBytes(input);
        var detector = new Recording(holdsPrefix);
        var heads = new AnchoredHeads([detector]);
        var findings = new Findings();
        findings.Reset(0, 0);

        heads.Scan(new ScanText(bytes, 0, final: false) { Classes = ByteClasses.Of(bytes) }, findings);

        // Nothing active: the next search starts where this text ended.
        findings.Anchors.Start(0, 0).Should().Be(firstActive < 0 ? bytes.Length : firstActive);
        detector.Offers.Where(offer => string.CompareOrdinal(input, offer, "ghp", 0, 3) != 0).Should().BeEmpty("only where the head is, whole or cut, is it offered");
    }

    [Fact]
    public void The_infix_detector_acts_only_at_anchors_with_its_marker_byte_or_a_text_that_ends_before_it()
    {
        // Anchors that are not offered are not looked at again: the marker must be there wherever the detector would act,
        // whole shapes and shapes cut by the end alike.
        var detector = new InfixTokenDetector();
        var (offset, marker) = detector.AnchorMarker!.Value;
        var random = new Random(27);
        var acted = 0;
        for (var trial = 0; trial < 20_000; trial++)
        {
            var bytes = Encoding.ASCII.GetBytes(Fake.Of("Q~8a", random.Next(1, 14), trial));
            for (var index = 0; index < bytes.Length; index++)
            {
                var text = new ScanText(bytes, 0, final: false);
                var findings = new Findings();
                findings.Reset(0, 0);

                detector.OnAnchor(text, index, findings);

                if (findings.Matches.Count + findings.Candidates.Count > 0)
                {
                    acted++;
                    (text.At(index + offset) == marker || text.Open(index + offset)).Should().BeTrue($"the detector acted at {index} of {Encoding.ASCII.GetString(bytes)}");
                }
            }
        }

        acted.Should().BeGreaterThan(100);
    }

    private sealed class Recording(bool holdsPrefix) : Detector
    {
        public List<int> Offers { get; } = [];

        public override IReadOnlyList<string> AnchoredNeedles { get; } = ["ghp_"];

        public override bool HoldsNeedlePrefix => holdsPrefix;

        public override void OnNeedle(in ScanText text, int index, string needle, Findings findings) => Offers.Add(index);

        public override void OnNeedlePrefix(in ScanText text, int index, string needle, Findings findings) => Offers.Add(index);
    }
}
