namespace Broker.Policy.Catalog;

/// <summary>What a program does with an operand or an option's value (the vocabulary of the program catalog).</summary>
internal enum ArgumentKind
{
    /// <summary>Plain text: a pattern, a format, a number. Nothing is opened.</summary>
    Text,

    /// <summary>A file the program reads.</summary>
    Reads,

    /// <summary>A file the program writes (creates, truncates, appends to, deletes).</summary>
    Writes,

    /// <summary>A directory whose entries the program lists (not recursively).</summary>
    Lists,

    /// <summary>A directory the program reads recursively.</summary>
    Recurses,

    /// <summary>A command, program or code the program runs, which the policy cannot follow.</summary>
    Runs,

    /// <summary>Something the program changes outside files (the clock, the host name, another process).</summary>
    Changes,

    /// <summary>The name of a shell variable the built-in assigns (checked as a plain name).</summary>
    Name,

    /// <summary>Text the shell evaluates as code (a <c>mapfile</c> callback, <c>declare -i</c>): never allowed.</summary>
    Evaluates,

    /// <summary>The directory the shell changes to (<c>cd</c>).</summary>
    Chdir,

    /// <summary><c>date</c>'s operand: a format when it starts with <c>+</c>, otherwise a date to set the clock to.</summary>
    DateOrSet,

    /// <summary>From here on the words are a command the program runs (a wrapper such as <c>timeout</c>).</summary>
    Command,
}

/// <summary>The catalog's names for <see cref="ArgumentKind"/>.</summary>
internal static class ArgumentKinds
{
    private static readonly Dictionary<string, ArgumentKind> ByName = new(StringComparer.Ordinal)
    {
        ["text"] = ArgumentKind.Text,
        ["reads"] = ArgumentKind.Reads,
        ["writes"] = ArgumentKind.Writes,
        ["lists"] = ArgumentKind.Lists,
        ["recurses"] = ArgumentKind.Recurses,
        ["runs"] = ArgumentKind.Runs,
        ["changes"] = ArgumentKind.Changes,
        ["name"] = ArgumentKind.Name,
        ["evaluates"] = ArgumentKind.Evaluates,
        ["chdir"] = ArgumentKind.Chdir,
        ["date-or-set"] = ArgumentKind.DateOrSet,
        ["command"] = ArgumentKind.Command,
    };

    public static IEnumerable<string> Names => ByName.Keys;

    public static bool TryParse(string name, out ArgumentKind kind) => ByName.TryGetValue(name, out kind);

    private static readonly Dictionary<ArgumentKind, string> ByKind = ByName.ToDictionary(p => p.Value, p => p.Key);

    public static string Name(ArgumentKind kind) => ByKind[kind];
}
