namespace Broker.Policy.Catalog;

/// <summary>One option of a program: whether it takes a value, and what the option or its value does.</summary>
/// <param name="Name">As written: <c>-o</c> or <c>--output</c>.</param>
/// <param name="TakesValue">The option takes a value (attached, after <c>=</c>, or the next word).</param>
/// <param name="OptionalValue">The value is optional and only ever attached (<c>--color[=WHEN]</c>, <c>xargs -i[R]</c>).</param>
/// <param name="Kind">What the value is (for an option with a value) or what the option itself does (a flag).</param>
internal sealed record OptionSpec(string Name, bool TakesValue, bool OptionalValue, ArgumentKind Kind);

/// <summary>An example of the catalog, checked when it loads: the command and the effects it must have.</summary>
internal sealed record CatalogExample(string Command, IReadOnlyList<string> Effects, string Location);

/// <summary>
/// How a program reads its arguments and what each does: the options that take values, the options and operands
/// that read, write, run or change something, and for wrappers where the wrapped command starts. Options not listed
/// are taken as flags that do nothing harmful (except for wrappers, where an unknown option makes the wrapped
/// command unknown).
/// </summary>
internal sealed record ProgramSpec
{
    public required string Name { get; init; }

    public IReadOnlyDictionary<string, OptionSpec> Options { get; init; } = new Dictionary<string, OptionSpec>();

    /// <summary>What each operand is, by position; the last entry repeats. Empty: every operand is read as a file.</summary>
    public IReadOnlyList<ArgumentKind> Operands { get; init; } = [];

    /// <summary>Options that make the program read its file operands recursively (<c>grep -r</c>).</summary>
    public IReadOnlySet<string> Recursive { get; init; } = new HashSet<string>();

    /// <summary>Options that take the place of the first operand (<c>grep -e PATTERN</c>: then every operand is a file).</summary>
    public IReadOnlySet<string> ReplacesFirstOperand { get; init; } = new HashSet<string>();

    /// <summary>The path a program uses when given none (<c>ls</c>, <c>du</c>, <c>find</c>: <c>.</c>); for programs that read files it applies only when they recurse (<c>grep -r</c>).</summary>
    public string? DefaultOperand { get; init; }

    /// <summary>Options end at the first operand (POSIX order, and every wrapper).</summary>
    public bool OptionsEndAtOperand { get; init; }

    /// <summary>Option values are never attached to the option (<c>test -v NAME</c>): a value is always the next word.</summary>
    public bool NoAttachedValues { get; init; }

    /// <summary>Options are whole words with one dash (<c>find -name</c>), never clusters of letters.</summary>
    public bool WholeWordOptions { get; init; }

    /// <summary><c>-N</c> is a number, not letters (<c>nice -10</c>, <c>head -5</c>).</summary>
    public bool NumericOption { get; init; }

    /// <summary><c>NAME=value</c> before the command (<c>env</c>, <c>sudo</c>).</summary>
    public bool TakesAssignments { get; init; }

    /// <summary>The wrapped command gets arguments the policy cannot see (<c>xargs</c>).</summary>
    public bool SuppliesArguments { get; init; }

    /// <summary>A file written unless standard output is redirected (<c>nohup</c>'s <c>nohup.out</c>, also tried in the home directory).</summary>
    public string? WritesUnlessOutputRedirected { get; init; }

    /// <summary>Options after which a wrapper runs nothing: its operands are names it describes (<c>command -v</c>).</summary>
    public IReadOnlySet<string> NoCommand { get; init; } = new HashSet<string>();

    /// <summary>What the program does whatever its arguments (<c>sudo</c> changes identity), if anything.</summary>
    public ArgumentKind? Always { get; init; }

    /// <summary>The program runs nothing and reads nothing whatever its arguments (<c>echo</c>, <c>true</c>, <c>sleep</c>).</summary>
    public bool Harmless { get; init; }

    public IReadOnlyList<CatalogExample> Examples { get; init; } = [];

    /// <summary>True for wrappers: some operand starts the command the program runs.</summary>
    public bool IsWrapper => Operands.Contains(ArgumentKind.Command);

    /// <summary>The kind of the operand at <paramref name="position"/> (0-based).</summary>
    public ArgumentKind OperandKind(int position) =>
        Operands.Count == 0 ? ArgumentKind.Reads : Operands[Math.Min(position, Operands.Count - 1)];

    /// <summary>Finds an option by its exact name, or a long option by an unambiguous prefix (as GNU getopt accepts).</summary>
    public OptionSpec? FindOption(string name)
    {
        if (Options.TryGetValue(name, out var option))
        {
            return option;
        }

        if (!name.StartsWith("--", StringComparison.Ordinal) || name.Length < 3)
        {
            return null;
        }

        OptionSpec? found = null;
        foreach (var (key, candidate) in Options)
        {
            if (key.StartsWith(name, StringComparison.Ordinal))
            {
                if (found is not null && found.Kind != candidate.Kind)
                {
                    // Ambiguous: the program refuses it; for the policy it is the strictest of the candidates.
                    return found.Kind == ArgumentKind.Text ? candidate : found;
                }

                found = candidate;
            }
        }

        return found;
    }
}
