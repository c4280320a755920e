using Broker.Policy.Configuration;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Catalog;

/// <summary>Reads catalog entries (the shipped file, or a policy's <c>programs:</c> section) with file:line errors.</summary>
internal sealed class CatalogReader(YamlReader reader)
{
    /// <summary>The version of the catalog format this broker reads.</summary>
    public const int FormatVersion = 1;

    private static readonly string[] ValueKinds = ["values", "reads", "writes", "lists", "recurses", "runs", "changes", "variables", "chdir", "evaluates"];

    private static readonly string[] EntryKeys =
    [
        "name", "names", "values", "optional_values", "reads", "writes", "lists", "recurses", "runs", "changes", "variables", "chdir", "evaluates",
        "flags", "recursive", "replaces_first_operand", "no_command", "operands", "options_end_at_operand", "whole_word_options", "no_attached_values", "numeric_option", "assignments",
        "supplies_arguments", "writes_unless_output_redirected", "default_operand", "always", "harmless", "examples",
    ];

    public ProgramCatalog? ReadShipped(YamlNode root)
    {
        var fields = reader.Mapping(root, "the program catalog", "version", "programs", "aws");
        if (fields is null)
        {
            return null;
        }

        if (!fields.TryGetValue("version", out var versionNode) || reader.Integer(versionNode, "version", 1, 1000) is not { } version)
        {
            reader.Error(root, "the program catalog needs a version");
            return null;
        }

        if (version != FormatVersion)
        {
            reader.Error(versionNode, $"program catalog version {version} is not supported (this broker reads version {FormatVersion})");
        }

        var programs = fields.TryGetValue("programs", out var node) ? ReadEntries(node) : [];
        var aws = fields.TryGetValue("aws", out var awsNode) ? ReadAws(awsNode) : AwsSecrets.None;
        return new ProgramCatalog(version, programs, aws);
    }

    private AwsSecrets ReadAws(YamlNode node)
    {
        var fields = reader.Mapping(node, "aws", "reveals_secrets", "reveals_secrets_with", "commands");
        if (fields is null)
        {
            return AwsSecrets.None;
        }

        var with = new Dictionary<string, Decisions.AwsActionPattern[]>(StringComparer.Ordinal);
        if (fields.TryGetValue("reveals_secrets_with", out var withNode))
        {
            foreach (var (key, value) in reader.FreeMapping(withNode, "reveals_secrets_with") ?? [])
            {
                with[key.Value!] = [.. reader.StringList(value, "reveals_secrets_with").Select(p => new Decisions.AwsActionPattern(p))];
            }
        }

        var commands = new Dictionary<string, string>(StringComparer.Ordinal);
        if (fields.TryGetValue("commands", out var commandsNode))
        {
            foreach (var (key, value) in reader.FreeMapping(commandsNode, "commands") ?? [])
            {
                if (reader.String(value, "commands") is { } action)
                {
                    commands[key.Value!] = action;
                }
            }
        }

        return new AwsSecrets
        {
            RevealsSecrets = fields.TryGetValue("reveals_secrets", out var revealsNode)
                ? [.. reader.StringList(revealsNode, "reveals_secrets").Select(p => new Decisions.AwsActionPattern(p))]
                : [],
            RevealsSecretsWith = with,
            Commands = commands,
        };
    }

    /// <summary>A list of program entries, by name.</summary>
    public Dictionary<string, ProgramSpec> ReadEntries(YamlNode node)
    {
        var programs = new Dictionary<string, ProgramSpec>(StringComparer.Ordinal);
        foreach (var item in reader.Sequence(node, "programs"))
        {
            var fields = reader.Mapping(item, "a program entry", EntryKeys);
            if (fields is null)
            {
                continue;
            }

            var names = new List<string>();
            if (fields.TryGetValue("name", out var nameNode) && reader.String(nameNode, "name") is { } name)
            {
                names.Add(name);
            }

            if (fields.TryGetValue("names", out var namesNode))
            {
                names.AddRange(reader.StringList(namesNode, "names"));
            }

            if (names.Count == 0)
            {
                reader.Error(item, "a program entry needs 'name' or 'names'");
                continue;
            }

            var spec = ReadEntry(fields, item, names[0]);
            foreach (var program in names)
            {
                if (!programs.TryAdd(program, spec with { Name = program }))
                {
                    reader.Error(item, $"program '{program}' is described twice");
                }
            }
        }

        return programs;
    }

    private ProgramSpec ReadEntry(Dictionary<string, YamlNode> fields, YamlNode item, string name)
    {
        var options = new Dictionary<string, OptionSpec>(StringComparer.Ordinal);
        void Add(YamlNode node, string option, OptionSpec spec)
        {
            if (option.Length < 2 || option[0] != '-' || option == "--")
            {
                reader.Error(node, $"'{option}' of program '{name}' is not an option");
            }
            else if (!options.TryAdd(option, spec))
            {
                reader.Error(node, $"option '{option}' of program '{name}' is listed twice");
            }
        }

        foreach (var key in ValueKinds)
        {
            if (!fields.TryGetValue(key, out var node))
            {
                continue;
            }

            var kind = key switch
            {
                "values" => ArgumentKind.Text,
                "variables" => ArgumentKind.Name,
                _ => ArgumentKinds.TryParse(key, out var parsed) ? parsed : ArgumentKind.Text,
            };
            foreach (var option in reader.StringList(node, key))
            {
                Add(node, option, new OptionSpec(option, true, false, kind));
            }
        }

        if (fields.TryGetValue("optional_values", out var optionalNode))
        {
            foreach (var option in reader.StringList(optionalNode, "optional_values"))
            {
                Add(optionalNode, option, new OptionSpec(option, true, true, ArgumentKind.Text));
            }
        }

        if (fields.TryGetValue("flags", out var flagsNode))
        {
            foreach (var (key, value) in reader.FreeMapping(flagsNode, "flags") ?? [])
            {
                if (!ArgumentKinds.TryParse(key.Value!, out var kind) || kind is ArgumentKind.Command or ArgumentKind.Name or ArgumentKind.Chdir)
                {
                    reader.Error(key, $"flags of program '{name}': '{key.Value}' is not an effect (use text, writes, runs, changes, reads or evaluates)");
                    continue;
                }

                foreach (var option in reader.StringList(value, "flags"))
                {
                    Add(value, option, new OptionSpec(option, false, false, kind));
                }
            }
        }

        var operands = new List<ArgumentKind>();
        if (fields.TryGetValue("operands", out var operandsNode))
        {
            foreach (var operand in reader.StringList(operandsNode, "operands"))
            {
                if (ArgumentKinds.TryParse(operand, out var kind))
                {
                    operands.Add(kind);
                }
                else
                {
                    reader.Error(operandsNode, $"operand kind '{operand}' of program '{name}' is unknown (one of {string.Join(", ", ArgumentKinds.Names)})");
                }
            }
        }

        var spec = new ProgramSpec
        {
            Name = name,
            Options = options,
            Operands = operands,
            Recursive = Set(fields, "recursive"),
            ReplacesFirstOperand = Set(fields, "replaces_first_operand"),
            NoCommand = Set(fields, "no_command"),
            OptionsEndAtOperand = Flag(fields, "options_end_at_operand"),
            NumericOption = Flag(fields, "numeric_option"),
            WholeWordOptions = Flag(fields, "whole_word_options"),
            NoAttachedValues = Flag(fields, "no_attached_values"),
            TakesAssignments = Flag(fields, "assignments"),
            SuppliesArguments = Flag(fields, "supplies_arguments"),
            Harmless = Flag(fields, "harmless"),
            Always = fields.TryGetValue("always", out var alwaysNode) && reader.String(alwaysNode, "always") is { } always
                ? ArgumentKinds.TryParse(always, out var alwaysKind) && alwaysKind is ArgumentKind.Changes or ArgumentKind.Runs or ArgumentKind.Writes
                    ? alwaysKind
                    : Error(alwaysNode, $"always of program '{name}' must be changes, runs or writes")
                : null,
            DefaultOperand = fields.TryGetValue("default_operand", out var defaultNode) ? reader.String(defaultNode, "default_operand") : null,
            WritesUnlessOutputRedirected = fields.TryGetValue("writes_unless_output_redirected", out var nohupNode) ? reader.String(nohupNode, "writes_unless_output_redirected") : null,
            Examples = fields.TryGetValue("examples", out var examplesNode) ? ReadExamples(examplesNode) : [],
        };
        if (spec.Harmless && (options.Values.Any(o => o.Kind is not ArgumentKind.Text) || operands.Any(o => o is not ArgumentKind.Text)))
        {
            reader.Error(item, $"program '{name}' is marked harmless but lists effects");
        }

        if (spec.IsWrapper && !spec.OptionsEndAtOperand)
        {
            reader.Error(item, $"wrapper '{name}' must set options_end_at_operand (its options end where the command starts)");
        }

        return spec;
    }

    private List<CatalogExample> ReadExamples(YamlNode node)
    {
        var examples = new List<CatalogExample>();
        foreach (var item in reader.Sequence(node, "examples"))
        {
            var fields = reader.Mapping(item, "an example", "command", "effects");
            if (fields is null)
            {
                continue;
            }

            var command = reader.RequiredString(fields, item, "command", "an example");
            var effects = fields.TryGetValue("effects", out var effectsNode) ? reader.StringList(effectsNode, "effects") : [];
            if (command is not null)
            {
                examples.Add(new CatalogExample(command, effects, $"{item.Start.Line}:{item.Start.Column}"));
            }
        }

        return examples;
    }

    private ArgumentKind? Error(YamlNode node, string message)
    {
        reader.Error(node, message);
        return null;
    }

    private HashSet<string> Set(Dictionary<string, YamlNode> fields, string key) =>
        fields.TryGetValue(key, out var node) ? reader.StringList(node, key).ToHashSet(StringComparer.Ordinal) : [];

    private bool Flag(Dictionary<string, YamlNode> fields, string key) =>
        fields.TryGetValue(key, out var node) && reader.Boolean(node, key) == true;
}
