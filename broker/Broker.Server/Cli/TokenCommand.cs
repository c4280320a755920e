using System.CommandLine;
using Broker.Identity.Dev;

namespace Broker.Server.Cli;

/// <summary><c>broker token --data DIR --sub NAME [--group G]... [--ttl 1h]</c>: mints a dev token.</summary>
internal static class TokenCommand
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo?>("--data") { Description = "Data directory of the dev broker (default ./.broker-data)" };
        var subject = new Option<string>("--sub") { Description = "Subject (the agent's name)", Required = true };
        var groups = new Option<string[]>("--group") { Description = "Group claim (repeatable)", AllowMultipleArgumentsPerToken = false };
        var ttl = new Option<string>("--ttl") { Description = "Lifetime, e.g. 15m, 1h (default 1h)", DefaultValueFactory = _ => "1h" };
        var command = new Command("token", "Print a token from the dev issuer (only `serve --dev` trusts it)") { data, subject, groups, ttl };
        command.SetAction(parse =>
        {
            var lifetime = DurationParser.Parse(parse.GetValue(ttl)!);
            if (lifetime is null || lifetime > TimeSpan.FromDays(7))
            {
                Console.Error.WriteLine($"broker: --ttl '{parse.GetValue(ttl)}' is not a duration such as 15m or 1h (at most 7d)");
                return 2;
            }

            var sub = parse.GetValue(subject)!;
            if (string.IsNullOrWhiteSpace(sub))
            {
                Console.Error.WriteLine("broker: --sub must not be empty");
                return 2;
            }

            var directory = parse.GetValue(data)?.FullName ?? Path.GetFullPath(".broker-data");
            var issuer = DevIssuer.LoadOrCreate(directory);
            Console.WriteLine(issuer.Mint(sub, parse.GetValue(groups) ?? [], lifetime.Value));
            return 0;
        });
        return command;
    }
}
