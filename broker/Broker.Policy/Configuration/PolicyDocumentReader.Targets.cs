using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>The <c>targets</c> section.</summary>
internal sealed partial class PolicyDocumentReader
{
    private static readonly string[] CommonTargetKeys = ["name", "kind", "max_sessions_per_identity", "idle_timeout", "max_duration", "max_recording_size"];
    private static readonly string[] LocalShellKeys = ["shell", "args", "working_directory", "environment", .. TargetAccountReader.Keys];

    private List<TargetDefinition> ReadTargets(YamlNode node)
    {
        var targets = new List<TargetDefinition>();
        foreach (var item in reader.Sequence(node, "targets"))
        {
            // The kind decides which keys the target may have, so it is looked at before the keys are checked.
            var ssm = KindOf(item) == "ssm";
            var fields = reader.Mapping(item, ssm ? "an ssm target" : "a target", [.. CommonTargetKeys, .. ssm ? SsmTargetKeys : LocalShellKeys]);
            if (fields is null)
            {
                continue;
            }

            var name = reader.RequiredString(fields, item, "name", "a target");
            if (name is not null && !NamePattern().IsMatch(name))
            {
                reader.Error(fields["name"], $"target name '{name}' may only use letters, digits, '.', '_' and '-'");
            }

            if (name is not null && targets.Any(t => t.Name == name))
            {
                reader.Error(item, $"target '{name}' is defined twice");
            }

            if (fields.TryGetValue("kind", out var kindNode) && reader.String(kindNode, "kind") is { } kind && kind is not ("local-shell" or "ssm"))
            {
                reader.Error(kindNode, $"target kind '{kind}' is not supported; use local-shell or ssm");
            }

            var target = ssm
                ? new TargetDefinition { Name = name ?? string.Empty, Kind = TargetKind.Ssm, Ssm = ReadSsmTarget(fields, item) }
                : ReadLocalShell(fields, new TargetDefinition { Name = name ?? string.Empty, Account = TargetAccountReader.Read(reader, fileName, fields, item) });
            if (fields.TryGetValue("max_sessions_per_identity", out var maxNode) && reader.Integer(maxNode, "max_sessions_per_identity", 1, 1000) is { } max)
            {
                target = target with { MaxSessionsPerIdentity = max };
            }

            if (fields.TryGetValue("idle_timeout", out var idleNode) && reader.Duration(idleNode, "idle_timeout", TimeSpan.FromSeconds(1), TimeSpan.FromDays(7)) is { } idle)
            {
                target = target with { IdleTimeout = idle };
            }

            if (fields.TryGetValue("max_duration", out var durationNode) && reader.Duration(durationNode, "max_duration", TimeSpan.FromSeconds(1), TimeSpan.FromDays(30)) is { } duration)
            {
                target = target with { MaxDuration = duration };
            }

            if (fields.TryGetValue("max_recording_size", out var capNode)
                && new ServerSectionReader(reader, fileName).Size(capNode, "max_recording_size", 64 * 1024, long.MaxValue) is { } cap)
            {
                target = target with { MaxRecordingBytes = cap };
            }

            if (name is not null)
            {
                targets.Add(target);
            }
        }

        return targets;
    }

    /// <summary>The <c>kind</c> a target's mapping gives, read without reporting anything (the full read reports).</summary>
    private static string? KindOf(YamlNode item) =>
        item is YamlMappingNode mapping
            ? mapping.Children.Where(p => p.Key is YamlScalarNode { Value: "kind" }).Select(p => (p.Value as YamlScalarNode)?.Value).FirstOrDefault()
            : null;

    private TargetDefinition ReadLocalShell(Dictionary<string, YamlNode> fields, TargetDefinition target)
    {
        if (fields.TryGetValue("shell", out var shellNode) && reader.String(shellNode, "shell") is { } shell)
        {
            if (!shell.StartsWith('/'))
            {
                reader.Error(shellNode, "shell must be an absolute path");
            }

            target = target with { Shell = shell };
        }

        if (fields.TryGetValue("args", out var argsNode))
        {
            target = target with { Args = reader.StringList(argsNode, "args") };
        }

        if (fields.TryGetValue("working_directory", out var directoryNode) && reader.String(directoryNode, "working_directory") is { } directory)
        {
            target = target with { WorkingDirectory = directory };
        }

        if (fields.TryGetValue("environment", out var environmentNode))
        {
            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in reader.FreeMapping(environmentNode, "environment") ?? [])
            {
                if (reader.String(value, $"environment variable '{key.Value}'") is { } text)
                {
                    environment[key.Value!] = text;
                }
            }

            target = target with { Environment = environment };
        }

        return target;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex NamePattern();
}
