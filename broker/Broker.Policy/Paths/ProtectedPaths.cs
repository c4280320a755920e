using System.Text;
using Broker.Policy.Catalog;
using Broker.Policy.Patterns;

namespace Broker.Policy.Paths;

/// <summary>
/// A role's protected paths (and the broker's own, such as its data directory): patterns with <c>*</c> (within one
/// component), <c>?</c>, <c>**</c> (any number of components), starting with <c>/</c>, <c>~/</c> or <c>**/</c>.
/// A command may not read, write, list or change into one, and a program may not recurse into a directory
/// holding one, whatever the program.
/// </summary>
internal sealed class ProtectedPaths
{
    private readonly string[] _patterns;
    private readonly Dictionary<string, Compiled[]> _byHome = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public ProtectedPaths(IReadOnlyList<string> patterns)
    {
        _patterns = [.. patterns];
    }

    public static ProtectedPaths None { get; } = new([]);

    public IReadOnlyList<string> Patterns => _patterns;

    public bool IsEmpty => _patterns.Length == 0;

    /// <summary>Null when <paramref name="pattern"/> is a valid protected path; otherwise why not.</summary>
    public static string? Validate(string pattern)
    {
        if (!(pattern.StartsWith('/') || pattern.StartsWith("~/", StringComparison.Ordinal) || pattern.StartsWith("**/", StringComparison.Ordinal)))
        {
            return $"protected path '{pattern}' must start with '/', '~/' or '**/'";
        }

        return pattern.Split('/').Any(c => c is "." or "..") ? $"protected path '{pattern}' must be normalised (no '.' or '..')" : null;
    }

    /// <summary>The protected pattern that <paramref name="kind"/> on <paramref name="path"/> (an absolute pattern) would touch, or null.</summary>
    public string? Hit(ArgumentKind kind, string path, string? home)
    {
        if (_patterns.Length == 0)
        {
            return null;
        }

        var compiled = CompiledFor(home);
        var probe = kind != ArgumentKind.Recurses ? path : path.EndsWith('/') ? path + TextPattern.AnyText : path + TextPattern.Subtree;
        // Most patterns lie under another directory than the path: their literal beginnings differ, and that settles it.
        var probePrefix = probe.Contains(TextPattern.Or, StringComparison.Ordinal) ? [] : TextPattern.LiteralPrefix(probe);
        for (var i = 0; i < compiled.Length; i++)
        {
            var prefix = compiled[i].LiteralPrefix;
            var common = Math.Min(prefix.Length, probePrefix.Length);
            if (probePrefix[..common].SequenceEqual(prefix.AsSpan(0, common)) && PatternIntersection.Intersects(probe, compiled[i].Pattern))
            {
                return _patterns[i];
            }
        }

        return null;
    }

    private Compiled[] CompiledFor(string? home)
    {
        var key = home ?? string.Empty;
        lock (_gate)
        {
            if (!_byHome.TryGetValue(key, out var compiled))
            {
                compiled = [.. _patterns.Select(p => new Compiled(Compile(p, home)))];
                _byHome[key] = compiled;
            }

            return compiled;
        }
    }

    internal static string Compile(string pattern, string? home)
    {
        var builder = new StringBuilder(pattern.Length + 16);
        var text = pattern;
        if (text.StartsWith("~/", StringComparison.Ordinal))
        {
            builder.Append(home is null ? "/" + TextPattern.Directories : home.TrimEnd('/'));
            text = text[1..];
        }
        else if (text.StartsWith("**/", StringComparison.Ordinal))
        {
            builder.Append('/').Append(TextPattern.Directories);
            text = text[3..];
        }

        var components = text.Split('/');
        for (var i = 0; i < components.Length; i++)
        {
            var component = components[i];
            if (component.Length == 0)
            {
                continue;
            }

            if (component == "**")
            {
                if (i == components.Length - 1)
                {
                    builder.Append(TextPattern.Subtree);
                }
                else
                {
                    builder.Append('/').Append(TextPattern.Directories);
                    i++;
                    AppendComponent(builder, components[i]);
                }

                continue;
            }

            if (builder.Length == 0 || builder[^1] != TextPattern.Directories)
            {
                builder.Append('/');
            }

            AppendComponent(builder, component);
        }

        return builder.ToString();
    }

    private static void AppendComponent(StringBuilder builder, string component)
    {
        foreach (var c in component)
        {
            switch (c)
            {
                case '*':
                    builder.Append(TextPattern.SegmentRun);
                    break;
                case '?':
                    builder.Append(TextPattern.SegmentOne);
                    break;
                default:
                    TextPattern.Append(builder, c);
                    break;
            }
        }
    }

    /// <summary>A protected path as a pattern for one home directory, with the literal text every path under it starts with.</summary>
    private sealed class Compiled(string pattern)
    {
        public string Pattern { get; } = pattern;

        // Empty for a pattern with alternatives: no filter applies.
        public string LiteralPrefix { get; } = pattern.Contains(TextPattern.Or, StringComparison.Ordinal) ? string.Empty : TextPattern.LiteralPrefix(pattern).ToString();
    }
}
