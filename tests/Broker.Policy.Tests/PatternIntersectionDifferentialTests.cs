using System.Text;
using Broker.Policy.Patterns;

namespace Broker.Policy.Tests;

/// <summary>The fast pattern intersection answers as the straightforward automaton walk does, on random patterns.</summary>
public sealed class PatternIntersectionDifferentialTests
{
    // Literals that matter to the symbols ('/', '.', a digit) and two ordinary ones; every wildcard symbol.
    private static readonly char[] Symbols =
    [
        '/', '/', '.', 'a', 'b', '0',
        TextPattern.AnyText, TextPattern.GlobRun, TextPattern.GlobOne, TextPattern.AnyOne, TextPattern.SegmentRun,
        TextPattern.SegmentOne, TextPattern.Directories, TextPattern.Subtree, TextPattern.Digit, TextPattern.DigitRun,
        TextPattern.Home,
    ];

    private static readonly string[] Prefixes = ["", "/", "/home/a/", "/home/b/", "/h", "/home/a/."];

    [Fact]
    public void Intersects_agrees_with_the_reference_walk_on_random_patterns()
    {
        var random = new Random(1313);
        var checkedPairs = 0;
        var intersecting = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var a = RandomPattern(random);
            var b = RandomPattern(random);
            var expected = ReferencePatternIntersection.Intersects(a, b);
            PatternIntersection.Intersects(a, b).Should().Be(expected, "'{0}' and '{1}'", TextPattern.Display(a), TextPattern.Display(b));
            checkedPairs++;
            intersecting += expected ? 1 : 0;
        }

        // Both answers occur often enough for the comparison to mean something.
        checkedPairs.Should().Be(20_000);
        intersecting.Should().BeInRange(2_000, 18_000);
    }

    [Fact]
    public void Matches_agrees_with_the_reference_walk_on_random_values()
    {
        var random = new Random(1717);
        var matched = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var pattern = RandomPattern(random);
            var value = RandomValue(random);
            var expected = ReferencePatternIntersection.Matches(pattern, value);
            PatternIntersection.Matches(pattern, value).Should().Be(expected, "'{0}' and '{1}'", TextPattern.Display(pattern), value);
            matched += expected ? 1 : 0;
        }

        matched.Should().BeInRange(500, 19_500);
    }

    [Fact]
    public void Paths_whose_components_differ_by_name_never_meet_and_intersects_agrees_with_the_reference_on_paths()
    {
        var random = new Random(4242);
        var disagreeing = 0;
        var intersecting = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var a = RandomPath(random);
            var b = RandomPath(random);
            var expected = ReferencePatternIntersection.Intersects(a, b);
            if (PathComponents.Disagree(a, b))
            {
                expected.Should().BeFalse("'{0}' and '{1}' were said to differ by a component name", TextPattern.Display(a), TextPattern.Display(b));
                disagreeing++;
            }

            PatternIntersection.Intersects(a, b).Should().Be(expected, "'{0}' and '{1}'", TextPattern.Display(a), TextPattern.Display(b));
            intersecting += expected ? 1 : 0;
        }

        // The shortcut settles a good share of the pairs, and both answers occur.
        disagreeing.Should().BeInRange(2_000, 18_000);
        intersecting.Should().BeInRange(500, 18_000);
    }

    // Path components as protected paths and resolved words have them: names, names with in-component wildcards,
    // and wildcards that may span a '/' (any text, '**/', a trailing '/**', one character of any kind).
    private static readonly string[] Components =
    [
        "home", "a", "b", ".ssh", "ab",
        TextPattern.SegmentRun.ToString(), TextPattern.GlobRun + ".c", "a" + TextPattern.GlobOne, TextPattern.SegmentOne + "b",
        TextPattern.DigitRun.ToString(), "." + TextPattern.SegmentRun,
        TextPattern.AnyText.ToString(), TextPattern.Directories + "a", "a" + TextPattern.AnyOne,
    ];

    private static string RandomPath(Random random)
    {
        var builder = new StringBuilder();
        var count = random.Next(1, 5);
        for (var i = 0; i < count; i++)
        {
            builder.Append('/').Append(Components[random.Next(i == 0 ? 5 : Components.Length)]);
        }

        if (random.Next(3) == 0)
        {
            builder.Append(TextPattern.Subtree);
        }

        return builder.ToString();
    }

    private static string RandomPattern(Random random)
    {
        var builder = new StringBuilder(Prefixes[random.Next(Prefixes.Length)]);
        var length = random.Next(0, 7);
        for (var i = 0; i < length; i++)
        {
            builder.Append(Symbols[random.Next(Symbols.Length)]);
        }

        if (random.Next(8) == 0)
        {
            builder.Append(TextPattern.Or).Append(Prefixes[random.Next(Prefixes.Length)]).Append(Symbols[random.Next(Symbols.Length)]);
        }

        return builder.ToString();
    }

    private static string RandomValue(Random random)
    {
        var builder = new StringBuilder(Prefixes[random.Next(Prefixes.Length)]);
        var length = random.Next(0, 6);
        for (var i = 0; i < length; i++)
        {
            builder.Append("//.ab0"[random.Next(6)]);
        }

        return builder.ToString();
    }
}
