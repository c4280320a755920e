using System.Globalization;

namespace Recorder;

/// <summary>How many sequences a <see cref="TerminalOutputFilter"/> kept from the terminal, by kind.</summary>
public sealed class FilteredSequences
{
    private readonly long[] _counts = new long[Enum.GetValues<FilteredSequenceKind>().Length];

    /// <summary>All filtered sequences.</summary>
    public long Total => _counts.Sum();

    /// <summary>The count of one kind.</summary>
    public long this[FilteredSequenceKind kind] => _counts[(int)kind];

    /// <summary>A short phrase such as "1 clipboard access, 2 title changes", or the empty string when nothing was filtered.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        foreach (var kind in Enum.GetValues<FilteredSequenceKind>())
        {
            var count = _counts[(int)kind];
            if (count > 0)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{count} {Name(kind, count)}"));
            }
        }

        return string.Join(", ", parts);
    }

    internal void Add(FilteredSequenceKind kind) => _counts[(int)kind]++;

    private static string Name(FilteredSequenceKind kind, long count) => (kind, count == 1) switch
    {
        (FilteredSequenceKind.Clipboard, true) => "clipboard access",
        (FilteredSequenceKind.Clipboard, false) => "clipboard accesses",
        (FilteredSequenceKind.Title, true) => "title change",
        (FilteredSequenceKind.Title, false) => "title changes",
        (FilteredSequenceKind.Query, true) => "terminal query",
        (FilteredSequenceKind.Query, false) => "terminal queries",
        (FilteredSequenceKind.ColourOrFont, true) => "colour or font change",
        (FilteredSequenceKind.ColourOrFont, false) => "colour or font changes",
        (FilteredSequenceKind.InputMode, true) => "keyboard or mouse mode change",
        (FilteredSequenceKind.InputMode, false) => "keyboard or mouse mode changes",
        (_, true) => "other sequence",
        _ => "other sequences",
    };
}
