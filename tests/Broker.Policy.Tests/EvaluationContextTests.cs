using Broker.Policy.Commands;

namespace Broker.Policy.Tests;

/// <summary>
/// Places where bash evaluates text as code (checked against bash itself: each of these ran 'touch F'), and the plain
/// uses of the same places that stay allowed.
/// </summary>
public sealed class EvaluationContextTests
{
    [Theory]
    [InlineData("printf -v 'a[$(touch F)]' x")]
    [InlineData("read 'a[$(touch F)]' <<< x")]
    [InlineData("test -v 'a[$(touch F)]'")]
    [InlineData("[ -v 'a[$(touch F)]' ]")]
    [InlineData("[[ -v a[$(touch F)] ]]")]
    [InlineData("unset 'a[$(touch F)]'")]
    [InlineData("declare 'a[$(touch F)]'=1")]
    [InlineData("let 'a[$(touch F)]'")]
    [InlineData("mapfile -t -C 'touch F' -c 1 a <<< x")]
    [InlineData("x='a[$(touch F)]'; echo $((x))")]
    [InlineData("x='a[$(touch F)]'; [[ x -eq 1 ]]")]
    [InlineData("x='a[$(touch F)]'; [[ $x -eq 1 ]]")]
    [InlineData("x='a[$(touch F)]'; (( x ))")]
    [InlineData("x='a[$(touch F)]'; echo ${!x}")]
    [InlineData("x='$(touch F)'; echo ${x@P}")]
    [InlineData("y=abc; x='a[$(touch F)]'; echo ${y:x}")]
    [InlineData("x='a[$(touch F)]'; echo ${a[x]}")]
    [InlineData("ls {a[$(touch F)]}>/dev/null")]
    [InlineData("declare -i n; n='a[$(touch F)]'")]
    [InlineData("declare -n r='a[$(touch F)]'; r=1")]
    [InlineData("for i in 1; do i='a[$(touch F)]'; echo $((i)); done")]
    [InlineData("i=0; i=$(cat f); echo $((i))")]
    public void Text_bash_evaluates_as_code_is_denied_whatever_the_role(string script)
    {
        var decision = DevPolicy.Decide(script);
        decision.Verdict.Should().Be(Verdict.Deny, decision.ToString());
        decision.RuleId.Should().BeOneOf(PolicyEngine.EvaluationRuleId, "(construct)", "default", "escalation-and-evaluation");
    }

    [Theory]
    [InlineData("printf -v x '%s' y")]
    [InlineData("read -r line < README.md")]
    [InlineData("test -v HOMEDIR")]
    [InlineData("[[ -v x ]] && echo set")]
    [InlineData("for i in 1 2 3; do echo $((i * 2)); done")]
    [InlineData("for ((i=0; i<3; i++)); do echo $i; done")]
    [InlineData("i=0; while [ $i -lt 3 ]; do i=$((i+1)); done")]
    [InlineData("i=0; echo $((i + 1))")]
    [InlineData("echo ${#HOME} $((1+2)) $[3*4]")]
    [InlineData("[[ $? -eq 0 ]] && echo ok")]
    [InlineData("(( 1 + 2 ))")]
    [InlineData("echo ${HOME:-/tmp}")]
    public void Plain_names_and_numbers_in_the_same_places_pass(string script) =>
        DevPolicy.Decide(script).Verdict.Should().Be(Verdict.Allow, DevPolicy.Decide(script).ToString());

    [Theory]
    [InlineData("PATH=/tmp")]
    [InlineData("IFS=x ls")]
    [InlineData("for PATH in /tmp; do ls; done")]
    [InlineData("read PATH")]
    [InlineData("printf -v PROMPT_COMMAND x")]
    [InlineData("(( PATH = 1 ))")]
    [InlineData("exec {BASH_ENV}>/dev/null")]
    [InlineData("AWS_ENDPOINT_URL=http://x aws s3 ls")]
    [InlineData("env LD_PRELOAD=/x ls")]
    public void Variables_that_change_what_runs_are_never_assigned(string script)
    {
        var decision = DevPolicy.Decide(script);
        decision.Verdict.Should().Be(Verdict.Deny);
        decision.RuleId.Should().Be(PolicyEngine.VariableRuleId, decision.ToString());
    }

    [Fact]
    public void Ifs_for_read_alone_is_its_own_separator() =>
        DevPolicy.Decide("while IFS= read -r line; do echo \"$line\"; done < README.md").Verdict.Should().Be(Verdict.Allow);

    [Fact]
    public void A_value_relied_on_is_dropped_when_the_script_assigns_the_name_again()
    {
        DevPolicy.Decide("f=README.md; cat \"$f\"").Verdict.Should().Be(Verdict.Allow);
        DevPolicy.Decide("f=README.md; for i in 1 2; do cat \"$f\"; f=/proc/self/environ; done").Verdict.Should().Be(Verdict.Deny);
        DevPolicy.Decide("for f in a.txt; do f=/proc/self/environ; cat \"$f\"; done").Verdict.Should().Be(Verdict.Deny);
    }

    [Fact]
    public void Loop_variable_stands_for_its_words()
    {
        var parsed = ShellParser.Parse("for f in src/*.c b.txt; do wc -l \"$f\"; done");
        var wc = parsed.Script!.Commands.Single(c => c.Words.Count > 0 && c.Words[0].Value == "wc");
        wc.Words[2].MayBeOption.Should().BeFalse();
        wc.Words[2].MaySplit.Should().BeFalse();
    }
}
