using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Core.Sessions;
using Broker.Masking;

namespace Broker.Server.Masking;

/// <summary>
/// Everything one session masks with its role's profile and its registered secrets: its output (every channel as
/// one view), its recorded input, and the text the broker writes about it (command lines in records, decisions and
/// observer frames). Keeps the counts of all of them for the recording.
/// </summary>
internal sealed class SessionMasking
{
    private readonly MaskingProfile _profile;
    private readonly SecretRegistry _secrets;
    private readonly MaskerOptions _options;
    private readonly Lock _gate = new();
    private readonly List<Func<IReadOnlyDictionary<string, long>>> _maskers = [];
    private readonly Dictionary<string, long> _textCounts = new(StringComparer.Ordinal);

    /// <param name="profile">The profile of the session's roles.</param>
    /// <param name="secrets">The session's exact secrets.</param>
    /// <param name="columns">The terminal's width (0 for a command without a terminal).</param>
    /// <param name="rows">The terminal's height (0 when unknown).</param>
    public SessionMasking(MaskingProfile profile, SecretRegistry secrets, int columns, int rows)
    {
        _profile = profile;
        _secrets = secrets;
        _options = new MaskerOptions { Columns = columns, Rows = rows };
    }

    /// <summary>The session's exact secrets (issued credentials are registered here).</summary>
    public SecretRegistry Secrets => _secrets;

    /// <summary>The output filter of the session.</summary>
    public MaskingFilter CreateOutputFilter()
    {
        var filter = new MaskingFilter(_profile.CreateMasker(_secrets, _options), _profile.HoldDelay);
        Track(() => filter.Counts);
        return filter;
    }

    /// <summary>The filter of the session's recorded input.</summary>
    public InputMaskingFilter CreateInputFilter()
    {
        var filter = new InputMaskingFilter(_profile.CreateMasker(_secrets, MaskerOptions.TypedInput), _profile.HoldDelay);
        Track(() => filter.Counts);
        return filter;
    }

    /// <summary>A command line, a reason, a name: <paramref name="text"/> with every secret masked.</summary>
    public string Text(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        var masked = _profile.MaskText(text, _secrets);
        if (masked.Counts.Count > 0)
        {
            lock (_gate)
            {
                foreach (var (name, count) in masked.Counts)
                {
                    _textCounts[name] = _textCounts.GetValueOrDefault(name) + count;
                }
            }
        }

        return masked.Text;
    }

    /// <summary>JSON with every string value in it masked (a decision's facts); the structure stays valid.</summary>
    public string Json(string json)
    {
        var node = JsonNode.Parse(json);
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            return JsonValue.Create(Text(value.GetValue<string>())).ToJsonString();
        }

        if (node is not null)
        {
            MaskStrings(node);
        }

        return node?.ToJsonString() ?? json;
    }

    /// <summary>How many regions each detector masked in this session so far, everywhere.</summary>
    public IReadOnlyDictionary<string, long> Counts
    {
        get
        {
            lock (_gate)
            {
                var counts = new Dictionary<string, long>(_textCounts, StringComparer.Ordinal);
                foreach (var masker in _maskers)
                {
                    foreach (var (name, count) in masker())
                    {
                        counts[name] = counts.GetValueOrDefault(name) + count;
                    }
                }

                return counts;
            }
        }
    }

    private void Track(Func<IReadOnlyDictionary<string, long>> counts)
    {
        lock (_gate)
        {
            _maskers.Add(counts);
        }
    }

    /// <summary>Replaces every string value inside <paramref name="container"/> with its masked text, in place.</summary>
    private void MaskStrings(JsonNode container)
    {
        switch (container)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (obj[key] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
                    {
                        obj[key] = JsonValue.Create(Text(value.GetValue<string>()));
                    }
                    else if (obj[key] is { } child)
                    {
                        MaskStrings(child);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
                    {
                        array[i] = JsonValue.Create(Text(value.GetValue<string>()));
                    }
                    else if (array[i] is { } child)
                    {
                        MaskStrings(child);
                    }
                }

                break;
        }
    }
}
