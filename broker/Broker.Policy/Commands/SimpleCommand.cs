namespace Broker.Policy.Commands;

/// <summary>One simple command: its words after quote removal, its redirections and the constructs found in it.</summary>
internal sealed class SimpleCommand(IReadOnlyList<ShellWord> words, IReadOnlyList<Construct> constructs, IReadOnlyList<Redirect>? redirects = null, bool isWordList = false)
{
    /// <summary>True for the words of a <c>for</c>/<c>select</c> list, a <c>case</c> subject or its patterns: expanded, but nothing runs.</summary>
    public bool IsWordList { get; } = isWordList;

    public IReadOnlyList<ShellWord> Words { get; } = words;

    public IReadOnlyList<Construct> Constructs { get; } = constructs;

    public IReadOnlyList<Redirect> Redirects { get; } = redirects ?? [];

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
