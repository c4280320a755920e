namespace Broker.Policy.Tests;

public sealed class DocumentationExampleTests
{
    [Theory]
    [InlineData("ls -la | grep txt | sort", Verdict.Allow)]
    [InlineData("ls missing 2>/dev/null", Verdict.Allow)]
    [InlineData("aws ec2 describe-instances", Verdict.Allow)]
    [InlineData("aws s3 rm s3://b/k", Verdict.Review)]
    [InlineData("rm -fr build", Verdict.Review)]
    [InlineData("/usr/bin/rm x", Verdict.Review)]
    [InlineData("timeout 5 rm x", Verdict.Review)]
    [InlineData("awk '{print $1}' f", Verdict.Review)]
    [InlineData("ls > out.txt", Verdict.Deny)]
    [InlineData("r$(true)m x", Verdict.Deny)]
    [InlineData("bash -c 'ls'", Verdict.Deny)]
    [InlineData("python3 -c 1", Verdict.Deny)]
    [InlineData("find . -delete", Verdict.Deny)]
    [InlineData("aws ec2 describe-instances --endpoint-url http://x", Verdict.Deny)]
    [InlineData("frobnicate", Verdict.Deny)]
    [InlineData("cat /proc/self/environ", Verdict.Deny)]
    [InlineData("echo x | xargs cat", Verdict.Deny)]
    public void Dev_policy_table_in_the_docs_holds(string command, Verdict verdict) =>
        DevPolicy.Decide(command).Verdict.Should().Be(verdict);

    [Fact]
    public void Production_example_loads_and_its_examples_pass()
    {
        var result = PolicyLoader.LoadFile(DevPolicy.FindRepositoryFile("docs/examples/production-policy.yaml"));
        result.Errors.Should().BeEmpty();
        var document = result.Document!;
        PolicyAuthoring.RunExamples(document).Succeeded.Should().BeTrue();

        var ci = new CallerIdentity("https://token.actions.githubusercontent.com", "repo:acme/deploy:ref:refs/heads/main", new Dictionary<string, IReadOnlyList<string>>
        {
            ["repository"] = ["acme/deploy"],
            ["ref"] = ["refs/heads/main"],
            ["repository_owner"] = ["acme"],
        });
        var access = document.CheckTarget(document.ResolveRoles(ci), "prod-deploy");
        access.IsAllowed.Should().BeTrue();
        var engine = new PolicyEngine(document);
        engine.Decide(access.Roles, CommandInput.Script("kubectl get pods -A")).Verdict.Should().Be(Verdict.Allow);
        engine.Decide(access.Roles, CommandInput.Script("kubectl get secrets")).Verdict.Should().Be(Verdict.Deny);
        engine.Decide(access.Roles, CommandInput.Script("kubectl rollout restart deploy/x")).Verdict.Should().Be(Verdict.Review);
        document.CheckTarget(document.ResolveRoles(ci), "ops-shell").IsAllowed.Should().BeFalse();
    }
}
