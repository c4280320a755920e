namespace Broker.Policy.Commands;

/// <summary>One simple command: its words after quote removal and the constructs found in it.</summary>
internal sealed class SimpleCommand(IReadOnlyList<ShellWord> words, IReadOnlyList<Construct> constructs)
{
    public IReadOnlyList<ShellWord> Words { get; } = words;

    public IReadOnlyList<Construct> Constructs { get; } = constructs;

    public static SimpleCommand FromArgv(IReadOnlyList<string> argv)
    {
        var words = new ShellWord[argv.Count];
        for (var i = 0; i < argv.Count; i++)
        {
            words[i] = new ShellWord(argv[i], true);
        }

        return new SimpleCommand(words, []);
    }
}
