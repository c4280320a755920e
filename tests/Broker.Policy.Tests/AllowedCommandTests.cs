namespace Broker.Policy.Tests;

public sealed class AllowedCommandTests
{
    public static TheoryData<string> Ordinary => new()
    {
        "ls",
        "ls -la",
        "ls -la /tmp",
        "ls -- -weird-name",
        "cat file.txt",
        "cat 'a file with spaces.txt'",
        "cat \"quoted name.txt\"",
        "cat a\\ b.txt",
        "head -n 20 log.txt",
        "tail -n 5 log.txt",
        "tail -f app.log",
        "grep -rn 'TODO' src",
        "grep -E \"^a|b$\" file",
        "grep -c x f | wc -l",
        "wc -l file",
        "echo hello world",
        "echo 'single $HOME quoted'",
        "echo \"no expansion here\"",
        "pwd",
        "whoami",
        "id",
        "id -u",
        "date",
        "date +%Y-%m-%d",
        "uname -a",
        "printf '%s\\n' a b",
        "true",
        "false",
        "true && echo ok",
        "false || echo fallback",
        "sort -rn counts.txt",
        "sort file | uniq -c",
        "cut -d: -f1 /etc/passwd",
        "tr a-z A-Z < /dev/null",
        "stat file",
        "file /bin/ls",
        "du -sh .",
        "df -h",
        "ls -la 2>&1",
        "ls missing 2>/dev/null",
        "grep x file >/dev/null",
        "ls; pwd",
        "ls\npwd",
        "ls -la | grep txt | sort | head -5",
        "/usr/bin/ls -l",
        "/bin/cat file",
        "ls # list files",
        "cat a | tr -d '\\r'",
        "aws ec2 describe-instances",
        "aws ec2 describe-instances --region us-east-1 --output json",
        "aws s3 ls",
        "aws s3 ls s3://bucket/prefix/",
        "aws s3api list-buckets",
        "aws s3api get-bucket-policy --bucket b",
        "aws sts get-caller-identity",
        "aws iam list-roles --query 'Roles[].RoleName'",
        "aws logs describe-log-groups",
        "timeout 5 ls",
        "nice ls",
        "env ls",
        "ls | xargs echo",
        "sort -rn x",
        "date -u",
        "echo 'hello!'",
        "echo \"done!\"",
        "echo hi !",
        "uniq -c sorted.txt",
        "echo oops >&2",
        "echo oops 1>&2",
        "uname -a && whoami || echo no",
        "sort -k2,2 -t, file.csv",
        "tr '[:upper:]' '[:lower:]' < /dev/null",
        "grep x --include='*.c' -r .",
        "ls -la;pwd",
        "tail -n +5 f",
        "cut -f1-3 -d, f",
    };

    [Theory]
    [MemberData(nameof(Ordinary))]
    public void Ordinary_read_only_command_is_allowed(string script)
    {
        var decision = DevPolicy.Decide(script);
        decision.Verdict.Should().Be(Verdict.Allow, $"'{script}' is read-only, but: {decision}");
    }

    [Fact]
    public void Corpus_has_at_least_forty_cases() => Ordinary.Count.Should().BeGreaterThanOrEqualTo(40);
}
