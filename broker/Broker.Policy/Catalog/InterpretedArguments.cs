using Broker.Policy.Commands;

namespace Broker.Policy.Catalog;

/// <summary>What a program's arguments mean: the effects of its options and operands, and where a wrapped command starts.</summary>
internal sealed class InterpretedArguments
{
    public List<CommandEffect> Effects { get; } = [];

    /// <summary>Some word whose value is unknown could be an option: any option it is compatible with may be given.</summary>
    public bool MayBeAnyOption { get; set; }

    /// <summary>The literal prefixes of the unknown words that may be options (<c>-</c>, <c>--col</c>, or empty).</summary>
    public List<string> UnknownOptionPrefixes { get; } = [];

    /// <summary>The unknown words that may be options, each with the word after it (which may be such an option's value).</summary>
    public List<(ShellWord Word, ShellWord? Next)> UnknownOptionWords { get; } = [];

    /// <summary>For a wrapper: the index of the wrapped command's program word; -1 when it runs none.</summary>
    public int CommandStart { get; set; } = -1;

    /// <summary>For a wrapper: the word after which the wrapped command cannot be told (an unknown option, an unknown word where it starts).</summary>
    public string? OpaqueAt { get; set; }

    /// <summary>A wrapper was told to run nothing (<c>command -v</c>): its operands are names.</summary>
    public bool NoCommand { get; set; }

    /// <summary><c>NAME=value</c> words given to the wrapper (<c>env</c>).</summary>
    public List<string> Assignments { get; } = [];

    /// <summary>The fewest and most operands the words may make (<see cref="int.MaxValue"/>: no bound).</summary>
    public int MinOperands { get; set; }

    public int MaxOperands { get; set; }
}
