namespace Broker.Policy;

/// <summary>A command to decide: either script text for the target's shell or an argv run without a shell.</summary>
public sealed class CommandInput
{
    private CommandInput(string? text, IReadOnlyList<string>? arguments)
    {
        Text = text;
        Arguments = arguments;
    }

    /// <summary>The script text, when the command is a script.</summary>
    public string? Text { get; }

    /// <summary>The argv, when the command is run without a shell.</summary>
    public IReadOnlyList<string>? Arguments { get; }

    /// <summary>Where the command runs (working directories, home), for resolving relative paths and <c>~</c>.</summary>
    public CommandContext Context { get; private init; } = CommandContext.Unknown;

    /// <summary>The same command, run in <paramref name="context"/>.</summary>
    public CommandInput In(CommandContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new CommandInput(Text, Arguments) { Context = context };
    }

    /// <summary>True for an argv command.</summary>
    public bool IsArgv => Arguments is not null;

    /// <summary>A command line typed at, or given to, the target's shell.</summary>
    public static CommandInput Script(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new CommandInput(text, null);
    }

    /// <summary>An argv run without a shell: its arguments are literal text.</summary>
    public static CommandInput Argv(IReadOnlyList<string> argv)
    {
        ArgumentNullException.ThrowIfNull(argv);
        return new CommandInput(null, argv.ToArray());
    }

    /// <inheritdoc />
    public override string ToString() => Text ?? string.Join(' ', Arguments!);
}
