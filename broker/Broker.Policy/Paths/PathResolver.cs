using System.Text;
using Broker.Policy.Commands;
using Broker.Policy.Patterns;

namespace Broker.Policy.Paths;

/// <summary>
/// Turns a path word into the absolute, normalised paths it may name: <c>~</c> becomes the home directory, a relative
/// path is joined to every possible working directory (any directory when none is known), and <c>.</c>, <c>..</c>
/// and <c>//</c> are resolved. A word whose value is unknown text may climb anywhere with <c>..</c>: it may be any path.
/// </summary>
internal static class PathResolver
{
    private static readonly string AnyPath = TextPattern.AnyText.ToString();

    /// <summary>The patterns of every absolute path <paramref name="word"/> may name.</summary>
    public static List<string> Resolve(ShellWord word, CommandContext context)
    {
        var results = new List<string>(2);
        var pattern = word.IsLiteral ? TextPattern.Literal(word.Value) : word.Pattern;
        if (!pattern.Contains(TextPattern.Or, StringComparison.Ordinal))
        {
            AddAbsolute(pattern, context, results);
            return results;
        }

        foreach (var alternative in TextPattern.Alternatives(pattern))
        {
            AddAbsolute(alternative, context, results);
        }

        return results;
    }

    /// <summary>Adds the normal absolute paths <paramref name="pattern"/> (one alternative) may name from <paramref name="context"/>.</summary>
    private static void AddAbsolute(string pattern, CommandContext context, List<string> results)
    {
        if (pattern.Length == 0)
        {
            return;
        }

        if (pattern[0] == TextPattern.Home)
        {
            AddNormal((context.HomeDirectory ?? "/" + TextPattern.Directories) + pattern[1..], results);
        }
        else if (pattern[0] == '/' || pattern.Contains(TextPattern.AnyText, StringComparison.Ordinal))
        {
            AddNormal(pattern, results);
        }
        else if (context.WorkingDirectories.Count == 0)
        {
            AddNormal("/" + TextPattern.Directories + pattern, results);
        }
        else
        {
            foreach (var directory in context.WorkingDirectories)
            {
                AddNormal(directory.TrimEnd('/') + "/" + pattern, results);
            }
        }
    }

    private static void AddNormal(string absolute, List<string> results)
    {
        if (IsNormal(absolute) && !absolute.Contains(TextPattern.AnyText, StringComparison.Ordinal) && !absolute.Contains(TextPattern.Home, StringComparison.Ordinal))
        {
            if (!results.Contains(absolute))
            {
                results.Add(absolute);
            }

            return;
        }

        foreach (var normal in Normalise(absolute))
        {
            if (!results.Contains(normal))
            {
                results.Add(normal);
            }
        }
    }

    // A glob component that may be '.' or '..' doubles the paths to follow; past this many, any path.
    private const int MaxBranches = 16;

    /// <summary>
    /// Resolves <c>.</c>, <c>..</c> and empty components of an absolute pattern. A glob component that may match
    /// <c>..</c> (or <c>.</c>) is followed both ways: as the parent (or the same) directory, and as a name.
    /// </summary>
    internal static List<string> Normalise(string path)
    {
        if (path.Contains(TextPattern.AnyText, StringComparison.Ordinal) || path.Contains(TextPattern.Home, StringComparison.Ordinal))
        {
            return [AnyPath];
        }

        if (IsNormal(path))
        {
            return [path];
        }

        var branches = new List<(List<string> Components, bool Floating)> { ([], false) };
        foreach (var component in path.Split('/'))
        {
            if (component.Length == 0 || component == ".")
            {
                continue;
            }

            var next = new List<(List<string>, bool)>();
            foreach (var (components, floating) in branches)
            {
                if (component[0] == TextPattern.Directories)
                {
                    // Any number of directories (an unknown working directory): '..' after it stays inside "any".
                    var rest = component[1..];
                    next.Add((rest.Length > 0 ? [rest] : [], true));
                    continue;
                }

                if (component == "..")
                {
                    next.Add((Pop(components), floating));
                    continue;
                }

                if (!TextPattern.IsLiteral(component))
                {
                    if (PatternIntersection.Matches(component, ".."))
                    {
                        next.Add((Pop(components), floating));
                    }

                    if (PatternIntersection.Matches(component, "."))
                    {
                        next.Add(([.. components], floating));
                    }
                }

                next.Add(([.. components, component], floating));
            }

            if (next.Count > MaxBranches)
            {
                return [AnyPath];
            }

            branches = next;
        }

        var results = new List<string>(branches.Count);
        foreach (var (components, floating) in branches)
        {
            var builder = new StringBuilder(path.Length);
            builder.Append('/');
            if (floating)
            {
                builder.Append(TextPattern.Directories);
            }

            builder.AppendJoin('/', components);
            var text = builder.ToString();
            if (!results.Contains(text))
            {
                results.Add(text);
            }
        }

        return results;
    }

    /// <summary>
    /// Whether <paramref name="path"/> is already normal: no empty, <c>.</c> or <c>..</c> component, and none that a
    /// glob could make one (a component whose first character is a literal other than <c>.</c>, or a glob
    /// <c>*</c>/<c>?</c>, which never match a leading dot). The common <c>/home/agent/project/src/*.c</c> is.
    /// </summary>
    private static bool IsNormal(string path)
    {
        if (path.Contains("/.", StringComparison.Ordinal) || path.Contains("//", StringComparison.Ordinal) || (path.Length > 1 && path[^1] == '/'))
        {
            return false;
        }

        for (var i = path.IndexOf('/', StringComparison.Ordinal); i >= 0 && i + 1 < path.Length; i = path.IndexOf('/', i + 1))
        {
            var start = i + 1;
            while (start < path.Length && path[start] == TextPattern.GlobRun)
            {
                start++;
            }

            if (start < path.Length && (path[start] == '.' || (TextPattern.IsWildcard(path[start]) && path[start] != TextPattern.GlobOne)))
            {
                return false;
            }
        }

        // What does not start at the root is made absolute by the slow path (a literal is kept as it is).
        return path.Length == 0 || path[0] == '/' || TextPattern.IsLiteral(path);
    }

    private static List<string> Pop(List<string> components) => components.Count > 0 ? components[..^1] : [];
}
