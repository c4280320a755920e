using System.CommandLine;
using Broker.Identity.Dev;

namespace Broker.Server.Cli;

/// <summary><c>broker token [--data DIR] --sub NAME [--group G]... [--ttl 1h] [--init]</c>: mints a dev token.</summary>
internal static class TokenCommand
{
    public static Command Create()
    {
        var data = DataDirectory.CreateOption("Data directory of the dev broker whose issuer signs the token (default ./.broker-data)");
        var subject = new Option<string>("--sub") { Description = "Subject (the agent's name)", Required = true };
        var groups = new Option<string[]>("--group") { Description = "Group claim (repeatable)", AllowMultipleArgumentsPerToken = false };
        var ttl = new Option<string>("--ttl") { Description = "Lifetime, e.g. 15m, 1h (default 1h)", DefaultValueFactory = _ => "1h" };
        var init = new Option<bool>("--init") { Description = "Create the dev issuer's key if the data directory has none (by default only `broker serve --dev` creates it)" };
        var command = new Command("token", "Print a token from the dev issuer (only `serve --dev` trusts it)") { data, subject, groups, ttl, init };
        command.SetAction(parse =>
        {
            var lifetime = DurationParser.Parse(parse.GetValue(ttl)!);
            if (lifetime is null || lifetime > TimeSpan.FromDays(7))
            {
                Console.Error.WriteLine($"broker: --ttl '{parse.GetValue(ttl)}' is not a duration such as 15m or 1h (at most 7d)");
                return ExitCodes.Usage;
            }

            var sub = parse.GetValue(subject)!;
            if (string.IsNullOrWhiteSpace(sub))
            {
                Console.Error.WriteLine("broker: --sub must not be empty");
                return ExitCodes.Usage;
            }

            var directory = DataDirectory.Resolve(parse.GetValue(data));

            // A key made here by mistake (a relative --data resolved elsewhere) would sign tokens the
            // running broker refuses, with nothing pointing at the cause.
            if (!parse.GetValue(init) && !DevIssuer.ExistsIn(directory))
            {
                Console.Error.WriteLine($"broker: no dev issuer key in {directory}: `broker serve --dev` creates one there when it starts with this data directory; give the directory it uses with --data, or --init to create a key here");
                return ExitCodes.NoIssuerKey;
            }

            var issuer = DevIssuer.LoadOrCreate(directory);
            Console.WriteLine(issuer.Mint(sub, parse.GetValue(groups) ?? [], lifetime.Value));
            return ExitCodes.Success;
        });
        return command;
    }
}
