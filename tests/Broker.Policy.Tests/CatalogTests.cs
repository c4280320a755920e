using Broker.Policy.Catalog;

namespace Broker.Policy.Tests;

public sealed class CatalogTests
{
    [Fact]
    public void Every_shipped_catalog_example_holds()
    {
        var engine = new PolicyEngine(DevPolicy.Document);
        CatalogExamples.Check(engine, ProgramCatalog.Default.Programs).Should().BeEmpty();
        ProgramCatalog.Default.Programs.Sum(p => p.Examples.Count).Should().BeGreaterThan(40);
    }

    [Fact]
    public void Shipped_catalog_has_a_version_and_describes_the_wrappers_of_the_issue()
    {
        ProgramCatalog.Default.Version.Should().Be(1);
        foreach (var wrapper in new[] { "time", "nice", "nohup", "timeout", "env", "stdbuf", "ionice", "setsid", "chrt", "taskset", "xargs" })
        {
            ProgramCatalog.Default.Find(wrapper).Should().NotBeNull(wrapper).And.Match<ProgramSpec>(s => s.IsWrapper);
        }
    }

    [Theory]
    [InlineData("sort -o out in", "writes out")]
    [InlineData("sort --out=x in", "writes x")]
    [InlineData("uniq in out", "writes out")]
    [InlineData("date -f KEY", "reads KEY")]
    [InlineData("xargs -a KEY echo", "reads KEY")]
    [InlineData("env time -o F true", "writes F")]
    [InlineData("nice time -o F true", "writes F")]
    [InlineData("nohup echo hi", "writes nohup.out")]
    [InlineData("grep -e x /proc/self/environ", "reads /proc/self/environ")]
    [InlineData("cat -s /proc/self/environ", "reads /proc/self/environ")]
    [InlineData("grep -r WORD dir", "recurses dir")]
    [InlineData("grep WORD -R dir", "recurses dir")]
    [InlineData("ls -R dir", "recurses dir")]
    [InlineData("du -sh dir", "recurses dir")]
    [InlineData("find dir -name x", "recurses dir")]
    [InlineData("rg x", "recurses .")]
    [InlineData("ionice -p 1 -c 3", "changes (-p)")]
    [InlineData("sort $x", "runs (--compress-program)")]
    [InlineData("file $x", "writes (-C)")]
    public void Argument_effects_follow_the_catalog(string command, string effect) =>
        DevPolicy.Decide(command).Facts.Effects.Should().Contain(effect);

    [Theory]
    [InlineData("nohup echo hi > /dev/null")]
    [InlineData("nohup echo hi &> log")]
    public void Nohup_writes_no_file_when_output_is_redirected(string command) =>
        DevPolicy.Decide(command).Facts.Effects.Should().NotContain(e => e.Contains("nohup.out", StringComparison.Ordinal));

    [Theory]
    [InlineData("src/*.c")]
    [InlineData("./*")]
    [InlineData("\"$HOME\"")]
    [InlineData("~/x")]
    public void Word_whose_literal_prefix_cannot_start_with_a_dash_is_never_an_option(string word) =>
        DevPolicy.Decide("sort " + word).Facts.Effects.Should().NotContain(e => e.StartsWith("runs", StringComparison.Ordinal));

    [Fact]
    public void Policy_programs_section_overrides_the_shipped_entry_and_its_examples_are_checked()
    {
        const string Policy = """
            issuers: [{issuer: i, audience: a}]
            programs:
              - name: cat
                writes: [-Z]
                operands: [reads]
                examples:
                  - {command: "cat -Z out in", effects: [writes out, reads in]}
              - name: frob
                operands: [text]
                examples:
                  - {command: "frob x", effects: [reads x]}
            """;
        var result = PolicyLoader.Parse(Policy, "p.yaml");
        result.Errors.Should().ContainSingle(e => e.Message.Contains("frob", StringComparison.Ordinal) && e.Message.Contains("expected [reads x]", StringComparison.Ordinal));
        var fixedPolicy = PolicyLoader.Parse(Policy.Replace("effects: [reads x]", "effects: []", StringComparison.Ordinal), "p.yaml");
        fixedPolicy.Errors.Should().BeEmpty();
        fixedPolicy.Document!.Catalog.Find("cat")!.Options.Should().ContainKey("-Z");
    }

    [Fact]
    public void Malformed_catalog_entries_are_load_errors_with_lines()
    {
        var result = PolicyLoader.Parse("""
            programs:
              - name: x
                operands: [eats]
                flags: {name: [-q]}
              - names: [y]
                reads: [notanoption]
            """, "p.yaml");
        result.Errors.Select(e => e.Message).Should().Contain(m => m.Contains("operand kind 'eats'", StringComparison.Ordinal))
            .And.Contain(m => m.Contains("is not an effect", StringComparison.Ordinal))
            .And.Contain(m => m.Contains("'notanoption' of program 'y' is not an option", StringComparison.Ordinal));
        result.Errors.Should().OnlyContain(e => e.Line > 0);
    }
}
