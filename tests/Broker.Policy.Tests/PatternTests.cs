using Broker.Policy.Paths;
using Broker.Policy.Patterns;

namespace Broker.Policy.Tests;

public sealed class PatternTests
{
    private const char Any = TextPattern.AnyText;
    private const char Run = TextPattern.GlobRun;

    [Theory]
    [InlineData("/proc/self/environ", "/proc/\uE004/environ", true)]
    [InlineData("/proc/\uE001/environ", "/proc/\uE004/environ", true)]
    [InlineData("/home/agent/project/\uE001.c", "/home/agent/.ssh\uE007", false)]
    [InlineData("/home/agent/\uE001", "/home/agent/.ssh\uE007", false)]
    [InlineData("/home/agent/.\uE001", "/home/agent/.ssh\uE007", true)]
    [InlineData("/home/agent\uE007", "/home/agent/.ssh\uE007", true)]
    [InlineData("/\uE006README.md", "/home/agent/.ssh\uE007", true)]
    [InlineData("/etc/sha\uE002ow", "/etc/shadow", true)]
    [InlineData("/etc/s\uE001w", "/etc/shadow", true)]
    [InlineData("/etc/\uE001.conf", "/etc/shadow", false)]
    [InlineData("a\uE00Bb", "b", true)]
    public void Patterns_intersect_when_some_string_matches_both(string a, string b, bool expected)
    {
        PatternIntersection.Intersects(a, b).Should().Be(expected);
        PatternIntersection.Intersects(b, a).Should().Be(expected);
    }

    [Fact]
    public void A_glob_never_matches_a_leading_dot_but_unknown_text_does()
    {
        PatternIntersection.Matches(Run + ".c", ".x.c").Should().BeFalse();
        PatternIntersection.Matches(Any + ".c", ".x.c").Should().BeTrue();
        PatternIntersection.Matches("a" + Run, "a.b").Should().BeTrue();
    }

    [Theory]
    [InlineData("/proc/self/../self/environ", "/proc/self/environ")]
    [InlineData("/proc//self/./environ", "/proc/self/environ")]
    [InlineData("/a/b/../../../etc/shadow", "/etc/shadow")]
    public void Paths_are_normalised_before_they_are_checked(string path, string normal) =>
        PathResolver.Normalise(path).Should().Equal(normal);

    [Theory]
    [InlineData("/home/agent/project/src/\uE001.c")]
    [InlineData("/a/\uE001\uE002b/\uE001")]
    [InlineData("/a/b\uE004/c")]
    public void A_path_no_component_of_which_can_be_dot_or_dot_dot_is_kept_as_it_is(string path) =>
        PathResolver.Normalise(path).Should().Equal(path);

    [Theory]
    [InlineData("/a/b/\uE001./c", "/a/b/c")]
    [InlineData("/a/b/\uE001\uE001../c", "/a/c")]
    [InlineData("/a/b/\uE003\uE003/c", "/a/c")]
    [InlineData("/a/b/\uE004/c", "/a/c")]
    public void A_glob_after_which_a_component_may_still_be_dot_or_dot_dot_is_followed(string path, string parent) =>
        PathResolver.Normalise(path).Should().Contain(parent).And.Contain(path);

    [Fact]
    public void A_glob_component_that_may_be_dot_dot_is_followed_both_ways() =>
        PathResolver.Normalise("/home/agent/project/." + Run + "/.ssh/id_rsa").Should().Contain("/home/agent/.ssh/id_rsa");

    [Theory]
    [InlineData("~/.ssh/**", "/home/agent", "/home/agent/.ssh\uE007")]
    [InlineData("/proc/*/environ", null, "/proc/\uE004/environ")]
    [InlineData("/a/**/b", null, "/a/\uE006b")]
    [InlineData("**/.env", null, "/\uE006.env")]
    public void Protected_paths_compile_to_patterns(string pattern, string? home, string compiled) =>
        ProtectedPaths.Compile(pattern, home).Should().Be(compiled);

    [Theory]
    [InlineData("relative/x")]
    [InlineData("/a/../b")]
    public void Protected_path_must_be_absolute_and_normalised(string pattern) =>
        ProtectedPaths.Validate(pattern).Should().NotBeNull();
}
