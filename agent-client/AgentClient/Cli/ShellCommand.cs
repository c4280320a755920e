using System.CommandLine;

namespace AgentClient.Cli;

/// <summary><c>shell --target T [--escape CHAR|none]</c>: an interactive terminal session (see <see cref="ShellSession"/>).</summary>
internal static class ShellCommand
{
    public static Command Create(ClientOptions client)
    {
        var target = new Option<string>("--target") { Description = "Target to open", Required = true };
        var escape = new Option<string>("--escape", "-e")
        {
            Description = "Escape character for the client's own commands, typed first on a line (~. ends the session, ~? lists the rest); 'none' turns them off",
            DefaultValueFactory = _ => "~",
        };
        escape.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value != "none" && (value.Length != 1 || value[0] > 0x7E || value[0] < 0x21))
            {
                result.AddError($"--escape takes one printable ASCII character or 'none', not '{value}'");
            }
        });
        var command = new Command("shell", "Open an interactive terminal on a target") { target, escape };
        command.SetAction((parse, ct) =>
        {
            var character = parse.GetValue(escape)!;
            byte? escapeCharacter = character == "none" ? null : (byte)character[0];
            return BrokerCall.RunAsync(
                client,
                parse,
                async broker =>
                {
                    using var session = new ShellSession(broker, parse.GetValue(target)!, escapeCharacter);
                    return await session.RunAsync(ct).ConfigureAwait(false);
                },
                ct);
        });
        return command;
    }
}
