using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>Typed access to YAML nodes that records every problem with its position instead of throwing.</summary>
internal sealed class YamlReader(string fileName)
{
    private readonly List<PolicyError> _errors = [];

    public IReadOnlyList<PolicyError> Errors => _errors;

    public void Error(YamlNode node, string message) =>
        _errors.Add(new PolicyError(fileName, node.Start.Line, node.Start.Column, message));

    public void Error(long line, long column, string message) =>
        _errors.Add(new PolicyError(fileName, line, column, message));

    /// <summary>The entries of a mapping; unknown keys are reported.</summary>
    public Dictionary<string, YamlNode>? Mapping(YamlNode node, string what, params string[] allowedKeys)
    {
        if (node is not YamlMappingNode mapping)
        {
            Error(node, $"{what} must be a mapping");
            return null;
        }

        var fields = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Children)
        {
            if (key is not YamlScalarNode { Value: { } name })
            {
                Error(key, $"{what} has a key that is not a plain name");
                continue;
            }

            if (Array.IndexOf(allowedKeys, name) < 0)
            {
                Error(key, $"unknown key '{name}' in {what}; expected one of: {string.Join(", ", allowedKeys)}");
                continue;
            }

            fields[name] = value;
        }

        return fields;
    }

    /// <summary>A mapping whose keys are free (claims, tags, environment).</summary>
    public List<(YamlScalarNode Key, YamlNode Value)>? FreeMapping(YamlNode node, string what)
    {
        if (node is not YamlMappingNode mapping)
        {
            Error(node, $"{what} must be a mapping");
            return null;
        }

        var entries = new List<(YamlScalarNode, YamlNode)>();
        foreach (var (key, value) in mapping.Children)
        {
            if (key is YamlScalarNode { Value.Length: > 0 } scalar)
            {
                entries.Add((scalar, value));
            }
            else
            {
                Error(key, $"{what} has an empty or non-scalar key");
            }
        }

        return entries;
    }

    public IReadOnlyList<YamlNode> Sequence(YamlNode node, string what)
    {
        if (node is YamlSequenceNode sequence)
        {
            return sequence.Children.ToArray();
        }

        Error(node, $"{what} must be a list");
        return [];
    }

    public string? String(YamlNode node, string what)
    {
        if (node is YamlScalarNode { Value: { } value } && !(node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } && value is "~" or "null"))
        {
            return value;
        }

        Error(node, $"{what} must be a string");
        return null;
    }

    public string? RequiredString(Dictionary<string, YamlNode> fields, YamlNode owner, string key, string what)
    {
        if (!fields.TryGetValue(key, out var node))
        {
            Error(owner, $"{what} needs '{key}'");
            return null;
        }

        var value = String(node, $"{what} '{key}'");
        if (value is { Length: 0 })
        {
            Error(node, $"{what} '{key}' must not be empty");
            return null;
        }

        return value;
    }

    /// <summary>A list of non-empty strings; a single scalar counts as a one-item list.</summary>
    public List<string> StringList(YamlNode node, string what)
    {
        var result = new List<string>();
        if (node is YamlScalarNode)
        {
            if (String(node, what) is { Length: > 0 } single)
            {
                result.Add(single);
            }

            return result;
        }

        foreach (var item in Sequence(node, what))
        {
            var value = String(item, $"each item of {what}");
            if (value is { Length: 0 })
            {
                Error(item, $"{what} has an empty item");
            }
            else if (value is not null)
            {
                result.Add(value);
            }
        }

        return result;
    }

    public int? Integer(YamlNode node, string what, int min, int max)
    {
        if (node is YamlScalarNode { Value: { } text } && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            if (value >= min && value <= max)
            {
                return value;
            }

            Error(node, $"{what} must be between {min} and {max}");
            return null;
        }

        Error(node, $"{what} must be a whole number");
        return null;
    }

    public bool? Boolean(YamlNode node, string what)
    {
        if (node is YamlScalarNode { Value: "true" or "false" } scalar)
        {
            return scalar.Value == "true";
        }

        Error(node, $"{what} must be true or false");
        return null;
    }

    /// <summary>A duration such as <c>90s</c>, <c>15m</c>, <c>1h30m</c> or <c>2d</c>.</summary>
    public TimeSpan? Duration(YamlNode node, string what, TimeSpan min, TimeSpan max)
    {
        var text = String(node, what);
        if (text is null)
        {
            return null;
        }

        if (!TryParseDuration(text, out var duration))
        {
            Error(node, $"{what} '{text}' is not a duration (use e.g. 90s, 15m, 1h30m)");
            return null;
        }

        if (duration < min || duration > max)
        {
            Error(node, $"{what} must be between {Format(min)} and {Format(max)}");
            return null;
        }

        return duration;
    }

    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var i = 0;
        if (text.Length == 0)
        {
            return false;
        }

        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start || i == text.Length || i - start > 9)
            {
                return false;
            }

            var amount = long.Parse(text.AsSpan(start, i - start), CultureInfo.InvariantCulture);
            duration += text[i++] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => TimeSpan.MinValue,
            };
            if (duration < TimeSpan.Zero)
            {
                return false;
            }
        }

        return true;
    }

    private static string Format(TimeSpan value) => value.TotalHours >= 1 && value.TotalHours == Math.Floor(value.TotalHours)
        ? $"{value.TotalHours}h"
        : value.TotalMinutes >= 1 && value.TotalMinutes == Math.Floor(value.TotalMinutes) ? $"{value.TotalMinutes}m" : $"{value.TotalSeconds}s";
}
