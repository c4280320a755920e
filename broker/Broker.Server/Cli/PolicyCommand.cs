using System.CommandLine;
using System.Text.Json;
using Broker.Policy;
using Broker.Server.Configuration;

namespace Broker.Server.Cli;

/// <summary><c>broker policy check</c> and <c>broker policy test</c>, for policy authors.</summary>
internal static class PolicyCommand
{
    public static Command Create()
    {
        var policy = new Command("policy", "Check and test policy files");
        policy.Subcommands.Add(CreateCheck());
        policy.Subcommands.Add(CreateTest());
        return policy;
    }

    private static Command CreateCheck()
    {
        var config = new Option<FileInfo?>("--config") { Description = "Policy file (default: the embedded dev policy)" };
        var subject = new Option<string?>("--sub") { Description = "Subject of the identity" };
        var groups = new Option<string[]>("--group") { Description = "Group of the identity (repeatable)" };
        var claims = new Option<string?>("--claims") { Description = "All claims as a JSON object (instead of --sub/--group)" };
        var issuer = new Option<string?>("--issuer") { Description = "Issuer of the identity (default: the claims' iss, or the policy's only issuer)" };
        var target = new Option<string?>("--target") { Description = "Target the command runs on" };
        var argv = new Option<bool>("--argv") { Description = "Decide the arguments as an argv instead of one script string" };
        var cwd = new Option<string?>("--cwd") { Description = "Working directory the command runs in (default: the current directory)" };
        var home = new Option<string?>("--home") { Description = "Home directory of the session (default: $HOME)" };
        var command = new Argument<string[]>("command") { Description = "The command (after --)", Arity = ArgumentArity.OneOrMore };
        var check = new Command(
            "check",
            $"Decide one command and print the decision as JSON. Exit code: {AllowExit} allow, {ReviewExit} review, {DenyExit} deny, 2 usage or policy error")
        {
            config, subject, groups, claims, issuer, target, argv, cwd, home, command,
        };
        check.SetAction(parse =>
        {
            var document = Load(parse.GetValue(config));
            if (document is null)
            {
                return 2;
            }

            var identity = Identity(document, parse.GetValue(subject), parse.GetValue(groups) ?? [], parse.GetValue(claims), parse.GetValue(issuer));
            if (identity is null)
            {
                return 2;
            }

            var words = parse.GetValue(command)!;
            var input = parse.GetValue(argv) ? CommandInput.Argv(words) : CommandInput.Script(string.Join(' ', words));
            var context = CommandContext.At(
                Path.GetFullPath(parse.GetValue(cwd) ?? Environment.CurrentDirectory),
                parse.GetValue(home) ?? Environment.GetEnvironmentVariable("HOME"));
            var decision = PolicyAuthoring.Check(document, identity, parse.GetValue(target), input.In(context));
            Console.WriteLine(decision.ToJson());
            return decision.Verdict switch
            {
                Verdict.Allow => AllowExit,
                Verdict.Review => ReviewExit,
                _ => DenyExit,
            };
        });
        return check;
    }

    /// <summary>Exit codes of <c>broker policy check</c> (2 is a usage error, as for every command).</summary>
    internal const int AllowExit = 0;

    internal const int ReviewExit = 10;

    internal const int DenyExit = 11;

    private static Command CreateTest()
    {
        var config = new Option<FileInfo?>("--config") { Description = "Policy file (default: the embedded dev policy)" };
        var test = new Command(
            "test",
            "Run every rule's and the program catalog's examples (non-zero exit on any failure), and print how many of the shipped ordinary and hostile commands each role allows") { config };
        test.SetAction(parse =>
        {
            var document = Load(parse.GetValue(config));
            if (document is null)
            {
                return 2;
            }

            var report = PolicyAuthoring.RunExamples(document);
            foreach (var line in report.Lines)
            {
                Console.WriteLine(line);
            }

            return report.Succeeded ? 0 : 1;
        });
        return test;
    }

    private static PolicyDocument? Load(FileInfo? file)
    {
        var result = file is null ? PolicyLoader.Parse(SettingsLoader.ReadDevPolicy(), "dev-policy.yaml (embedded)") : PolicyLoader.LoadFile(file.FullName);
        foreach (var error in result.Errors)
        {
            Console.Error.WriteLine($"broker: {error}");
        }

        return result.Document;
    }

    private static CallerIdentity? Identity(PolicyDocument document, string? subject, string[] groups, string? claimsJson, string? issuer)
    {
        var claims = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (claimsJson is not null)
        {
            try
            {
                using var json = JsonDocument.Parse(claimsJson);
                if (json.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return Fail("--claims must be a JSON object");
                }

                foreach (var property in json.RootElement.EnumerateObject())
                {
                    claims[property.Name] = property.Value.ValueKind switch
                    {
                        JsonValueKind.Array => [.. property.Value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText())],
                        JsonValueKind.String => [property.Value.GetString()!],
                        _ => [property.Value.GetRawText()],
                    };
                }
            }
            catch (JsonException ex)
            {
                return Fail($"--claims is not valid JSON: {ex.Message}");
            }
        }
        else if (subject is not null)
        {
            claims["sub"] = [subject];
            claims["groups"] = groups;
        }
        else
        {
            return Fail("give --sub NAME [--group G]... or --claims JSON");
        }

        issuer ??= claims.TryGetValue("iss", out var iss) ? iss[0] : document.Issuers.Count == 1 ? document.Issuers[0].Issuer : null;
        if (issuer is null)
        {
            return Fail("the policy trusts several issuers: say which with --issuer or an iss claim");
        }

        var sub = claims.TryGetValue("sub", out var subs) ? subs[0] : string.Empty;
        return new CallerIdentity(issuer, sub, claims);
    }

    private static CallerIdentity? Fail(string message)
    {
        Console.Error.WriteLine($"broker: {message}");
        return null;
    }
}
