using System.Text.Json;

namespace Broker.Policy.Tests;

public sealed class EngineTests
{
    [Theory]
    [InlineData("timeout 5 rm x", "rm")]
    [InlineData("env -i A=b nice -n 3 nohup rm x", "rm")]
    [InlineData("stdbuf -oL -eL rm x", "rm")]
    [InlineData("command -p rm x", "rm")]
    [InlineData("exec -a name rm x", "rm")]
    [InlineData("time -p rm x", "rm")]
    [InlineData("xargs -0 -n 1 rm", "rm")]
    [InlineData("sudo -u root -- rm x", "rm")]
    [InlineData("/usr/bin/env /bin/rm x", "rm")]
    public void Wrappers_are_unwrapped_to_the_program_they_run(string script, string program)
    {
        var decision = DevPolicy.Decide(script);
        decision.Facts.Programs.Should().Contain(program);
        decision.Verdict.Should().NotBe(Verdict.Allow);
    }

    [Fact]
    public void Shell_dash_c_script_is_parsed_recursively()
    {
        var decision = DevPolicy.Decide("bash -c 'ls && rm -rf /'");
        decision.Facts.Programs.Should().Equal("bash", "ls", "rm");
        decision.Verdict.Should().Be(Verdict.Deny);
        decision.RuleId.Should().Be("shells-and-interpreters");
    }

    [Fact]
    public void Strictest_verdict_wins_over_the_line()
    {
        DevPolicy.Decide("ls && rm x").Verdict.Should().Be(Verdict.Review);
        DevPolicy.Decide("ls && rm x && curl x").Verdict.Should().Be(Verdict.Deny);
    }

    [Fact]
    public void Unknown_program_gets_the_role_default()
    {
        var decision = DevPolicy.Decide("frobnicate");
        decision.Verdict.Should().Be(Verdict.Deny);
        decision.RuleId.Should().Be("default");
        decision.Reason.Should().Contain("frobnicate").And.Contain("default");
    }

    [Fact]
    public void Path_outside_system_directories_is_unknown() =>
        DevPolicy.Decide("/home/u/bin/ls").Reason.Should().Contain("not a program the policy can resolve");

    [Fact]
    public void Argv_arguments_are_literal_text()
    {
        DevPolicy.DecideArgv("echo", "$(rm -rf /)", "`id`", "*").Verdict.Should().Be(Verdict.Allow);
        DevPolicy.DecideArgv("bash", "-c", "ls").Verdict.Should().Be(Verdict.Deny);
        DevPolicy.DecideArgv("timeout", "5", "rm", "x").Verdict.Should().Be(Verdict.Review);
        DevPolicy.DecideArgv("sh", "-c", "echo $(id)").Facts.Constructs.Select(c => c.Name).Should().Contain("command-substitution");
    }

    [Fact]
    public void Empty_argv_and_empty_program_names_are_never_allowed()
    {
        DevPolicy.DecideArgv().Verdict.Should().Be(Verdict.Deny);
        DevPolicy.DecideArgv("", "x").Verdict.Should().Be(Verdict.Deny);
        DevPolicy.Decide("'' x").Verdict.Should().Be(Verdict.Deny);
        DevPolicy.Decide("# only a comment").Verdict.Should().Be(Verdict.Allow);
    }

    [Fact]
    public void Oversized_or_bracket_heavy_text_is_decided_safely()
    {
        DevPolicy.Decide("ls " + new string('a', 3 * 1024 * 1024)).Reason.Should().Contain("longer than");
        DevPolicy.Decide("ls " + new string('[', 200_000)).Verdict.Should().Be(Verdict.Allow);
        DevPolicy.Decide("ls " + new string('[', 100_000) + "]").Facts.Constructs.Select(c => c.Name).Should().Contain("glob");
    }

    [Fact]
    public void Combined_and_long_flags_match_flag_rules()
    {
        DevPolicy.Decide("sort -ro out x").RuleId.Should().Be("writes-files");
        DevPolicy.Decide("sort --output=out x").RuleId.Should().Be("writes-files");
        DevPolicy.Decide("sort --compress-pro=sh x").RuleId.Should().Be("runs-or-changes");
        DevPolicy.Decide("find . -name x -delete").RuleId.Should().Be("find-runs-or-deletes");
    }

    [Fact]
    public void Xargs_hides_arguments_so_flag_denials_apply() =>
        DevPolicy.Decide("ls | xargs find").Verdict.Should().Be(Verdict.Deny);

    [Fact]
    public void Construct_not_allowed_is_denied_with_its_name()
    {
        var decision = DevPolicy.Decide("ls > out.txt");
        decision.Verdict.Should().Be(Verdict.Deny);
        decision.Reason.Should().Contain("redirection '>out.txt'");
    }

    [Theory]
    [InlineData("aws s3api delete-bucket --bucket b", "s3:DeleteBucket")]
    [InlineData("aws ec2 describe-instances", "ec2:DescribeInstances")]
    [InlineData("aws --region eu-west-1 elbv2 describe-load-balancers", "elasticloadbalancing:DescribeLoadBalancers")]
    [InlineData("aws stepfunctions list-state-machines", "states:ListStateMachines")]
    [InlineData("aws s3 ls", "s3:ListAllMyBuckets")]
    [InlineData("aws s3 ls s3://b", "s3:ListBucket")]
    [InlineData("aws s3 rm s3://b/k", "s3:DeleteObject")]
    [InlineData("aws s3 rb s3://b", "s3:DeleteBucket")]
    [InlineData("aws s3 cp s3://b/k ./k", "s3:GetObject")]
    [InlineData("aws s3 cp ./k s3://b/k", "s3:PutObject")]
    [InlineData("aws s3 mv s3://b/k s3://c/k", "s3:DeleteObject")]
    [InlineData("aws s3 sync . s3://b --delete", "s3:DeleteObject")]
    public void Aws_cli_maps_to_iam_actions(string script, string action) =>
        DevPolicy.Decide(script).Facts.AwsActions.Should().Contain(action);

    [Fact]
    public void Aws_cp_download_does_not_claim_a_put() =>
        DevPolicy.Decide("aws s3 cp s3://b/k ./k").Facts.AwsActions.Should().Equal("s3:GetObject");

    [Theory]
    [InlineData("aws ec2 describe-instances --cli-input-json file://x", "aws-cli-input")]
    [InlineData("aws ec2 describe-instances --cli-input-yaml x", "aws-cli-input")]
    [InlineData("aws ec2 describe-instances --filters fileb://x", "aws-file-argument")]
    [InlineData("aws ec2 describe-instances --endpoint-url http://x", "aws-endpoint-url")]
    [InlineData("aws ec2 describe-instances --profile p", "aws-profile")]
    [InlineData("aws ec2 describe-instances --no-verify-ssl", "aws-tls-override")]
    [InlineData("aws configure export-credentials", "aws-configure")]
    [InlineData("aws my-alias", "aws-unknown-command")]
    public void Aws_options_that_hide_parameters_are_constructs(string script, string construct)
    {
        var decision = DevPolicy.Decide(script);
        decision.Facts.Constructs.Select(c => c.Name).Should().Contain(construct);
        decision.Verdict.Should().Be(Verdict.Deny);
    }

    [Fact]
    public void Aws_write_is_held_and_read_is_allowed()
    {
        DevPolicy.Decide("aws s3 rm s3://b/k").Verdict.Should().Be(Verdict.Review);
        DevPolicy.Decide("aws ec2 describe-instances").Verdict.Should().Be(Verdict.Allow);
    }

    [Fact]
    public void Most_permissive_role_decides_when_several_apply()
    {
        const string yaml = """
            targets: [{name: t}]
            roles:
              - name: reader
                targets: [t]
                rules: [{allow: {programs: [ls]}}]
              - name: cleaner
                targets: [t]
                default: review
                rules: [{allow: {programs: [rm]}}]
            """;
        var policy = PolicyLoader.Parse(yaml, "p.yaml").Document!;
        var engine = new PolicyEngine(policy);
        engine.Decide(policy.Roles, CommandInput.Script("rm x")).Role.Should().Be("cleaner");
        engine.Decide(policy.Roles, CommandInput.Script("cat x")).Verdict.Should().Be(Verdict.Review);
        engine.Decide([], CommandInput.Script("ls")).Verdict.Should().Be(Verdict.Deny);
    }

    [Fact]
    public void Construct_rules_decide_constructs_but_never_the_command()
    {
        const string yaml = """
            roles:
              - name: r
                rules:
                  - id: ls-globs
                    allow: {programs: [ls], constructs: [glob]}
                  - id: cat
                    allow: {programs: [cat]}
                  - id: cat-globs-held
                    review: {programs: [cat], constructs: [glob]}
                    examples: {match: ["cat *.txt"], not_match: ["cat a.txt", "ls *.txt"]}
            """;
        var result = PolicyLoader.Parse(yaml, "p.yaml");
        result.Errors.Should().BeEmpty();
        var engine = new PolicyEngine(result.Document!);
        var roles = result.Document!.Roles;
        engine.Decide(roles, CommandInput.Script("ls *.txt")).Verdict.Should().Be(Verdict.Deny, "ls itself is allowed by no command rule");
        engine.Decide(roles, CommandInput.Script("cat a.txt")).Verdict.Should().Be(Verdict.Allow);
        engine.Decide(roles, CommandInput.Script("cat *.txt")).RuleId.Should().Be("cat-globs-held");
        engine.Decide(roles, CommandInput.Script("cat ~/x")).Reason.Should().Contain("tilde-expansion");
    }

    [Fact]
    public void Check_json_carries_decision_rule_reason_and_facts()
    {
        var json = PolicyAuthoring.CheckToJson(DevPolicy.Document, DevPolicy.Agent, "local", CommandInput.Script("ls 2>&1 | rm x").In(DevPolicy.Context));
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        root.GetProperty("decision").GetString().Should().Be("review");
        root.GetProperty("rule").GetString().Should().Be("file-changes");
        root.GetProperty("reason").GetString().Should().NotBeNullOrEmpty();
        root.GetProperty("facts").GetProperty("programs").EnumerateArray().Select(p => p.GetString()).Should().Equal("ls", "rm");
        root.GetProperty("facts").GetProperty("constructs")[0].GetProperty("detail").GetString().Should().Be("2>&1");
    }

    [Fact]
    public void Check_json_denies_a_target_the_roles_do_not_grant()
    {
        var json = PolicyAuthoring.CheckToJson(DevPolicy.Document, DevPolicy.Agent, "prod", CommandInput.Script("ls"));
        json.Should().Contain("\"decision\":\"deny\"").And.Contain("target 'prod'");
    }

    [Fact]
    public void Test_report_lists_every_example_and_a_summary()
    {
        const string yaml = """
            roles:
              - name: r
                rules:
                  - id: ls
                    allow: {programs: [ls]}
                    examples: {match: [ls]}
            """;
        var document = PolicyLoader.Parse(yaml, "p.yaml").Document!;
        var report = PolicyAuthoring.RunExamples(document);
        report.Succeeded.Should().BeTrue();
        report.Lines[0].Should().Be("ok    r/ls match: ls");
        report.Lines.Should().Contain(l => l.StartsWith("corpus r: ", StringComparison.Ordinal) && l.EndsWith("0/423 hostile commands allowed", StringComparison.Ordinal));
        report.Lines[^1].Should().MatchRegex("^[0-9]+ passed, 0 failed$");
    }
}
