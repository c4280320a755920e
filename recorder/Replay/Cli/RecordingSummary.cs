using Recorder;

namespace Replay.Cli;

/// <summary>
/// What `replay info` shows about a recording, accumulated event by event in memory that does not
/// grow with the recording: counts, byte totals, and the distinct decisions up to a budget (a crafted
/// file could carry a new decision string in every command).
/// </summary>
internal sealed class RecordingSummary
{
    /// <summary>Distinct decision names kept; the rest are counted together.</summary>
    public const int MaxDecisionNames = 32;

    /// <summary>Longest decision name kept as is.</summary>
    private const int MaxDecisionLength = 64;

    private readonly Dictionary<string, long> _types = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _decisions = new(StringComparer.Ordinal);
    private long _otherDecisions;

    public long Events { get; private set; }

    public long Commands { get; private set; }

    public long OutputBytes { get; private set; }

    public long InputBytes { get; private set; }

    public ExitEvent? Exit { get; private set; }

    public void Add(RecordedEvent recorded)
    {
        Events++;
        var type = recorded switch
        {
            OutputEvent output => Count(output.Data.Length, isOutput: true, "output"),
            InputEvent input => Count(input.Data.Length, isOutput: false, "input"),
            CommandEvent command => Decision(command.Command.Decision),
            ExitEvent exit => Ended(exit),
            UnknownEvent unknown => $"type{unknown.Type}",
            _ => recorded.GetType().Name.Replace("Event", "", StringComparison.Ordinal).ToLowerInvariant(),
        };
        _types[type] = _types.GetValueOrDefault(type) + 1;
    }

    /// <summary>"output 640, input 58, ..." in the order first seen.</summary>
    public string DescribeTypes() => string.Join(", ", _types.Select(t => $"{t.Key} {t.Value}"));

    /// <summary>"allow 18, deny 2, ..." with decision names neutralized.</summary>
    public string DescribeDecisions()
    {
        var parts = _decisions.Select(d => $"{UntrustedText.Neutralize(d.Key)} {d.Value}").ToList();
        if (_otherDecisions > 0)
        {
            parts.Add($"(other decisions) {_otherDecisions}");
        }

        return string.Join(", ", parts);
    }

    private string Count(int length, bool isOutput, string type)
    {
        if (isOutput)
        {
            OutputBytes += length;
        }
        else
        {
            InputBytes += length;
        }

        return type;
    }

    private string Decision(string decision)
    {
        Commands++;
        var name = decision.Length > MaxDecisionLength ? decision[..MaxDecisionLength] + UntrustedText.Ellipsis : decision;
        if (_decisions.TryGetValue(name, out var count))
        {
            _decisions[name] = count + 1;
        }
        else if (_decisions.Count < MaxDecisionNames)
        {
            _decisions[name] = 1;
        }
        else
        {
            _otherDecisions++;
        }

        return "command";
    }

    private string Ended(ExitEvent exit)
    {
        Exit = exit;
        return "exit";
    }
}
