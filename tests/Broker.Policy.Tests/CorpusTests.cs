using System.Globalization;
using System.Text;

namespace Broker.Policy.Tests;

/// <summary>The shipped corpora under the dev policy: nothing hostile passes, and agents' ordinary commands do.</summary>
public sealed class CorpusTests
{
    private static readonly PolicyEngine Engine = CommandCorpus.Hostile.EngineFor(DevPolicy.Document);

    private static RoleDefinition Agent => DevPolicy.Document.Roles.Single(r => r.Name == "agent");

    public static TheoryData<string> Hostile => new(CommandCorpus.Hostile.Commands);

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Hostile_command_is_never_allowed_by_the_dev_policy(string script)
    {
        var decision = Engine.Decide([Agent], CommandInput.Script(script).In(CommandCorpus.Hostile.Context));
        decision.Verdict.Should().NotBe(Verdict.Allow, $"'{script}' must be denied or held, but: {decision}");
    }

    [Fact]
    public void Hostile_corpus_covers_every_hole_and_its_variants() => CommandCorpus.Hostile.Commands.Count.Should().BeGreaterThanOrEqualTo(300);

    [Fact]
    public void Dev_policy_allows_at_least_95_percent_of_ordinary_read_only_commands()
    {
        var corpus = CommandCorpus.Precision;
        corpus.Commands.Count.Should().BeGreaterThanOrEqualTo(200);
        var (allowed, _, refused) = corpus.Measure(Engine, Agent);
        var report = new StringBuilder();
        foreach (var (command, decision) in refused)
        {
            report.Append(CultureInfo.InvariantCulture, $"\n  {command}  →  {decision}");
        }

        (allowed * 100.0 / corpus.Commands.Count).Should().BeGreaterThanOrEqualTo(95.0, "refused:{0}", report);
    }
}
