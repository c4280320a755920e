using System.Reflection;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy;

/// <summary>
/// A corpus of commands shipped with the broker, decided in a fixed context: the ordinary read-only commands agents
/// run (<see cref="Precision"/>: a read-only role should allow them) and attempts to get past a read-only policy
/// (<see cref="Hostile"/>: none may be allowed).
/// </summary>
internal sealed class CommandCorpus
{
    private static readonly Lazy<CommandCorpus> PrecisionCorpus = new(() => Load("precision.yaml"));
    private static readonly Lazy<CommandCorpus> HostileCorpus = new(() => Load("hostile.yaml"));

    private CommandCorpus(string name, CommandContext context, string brokerData, IReadOnlyList<string> commands)
    {
        Name = name;
        Context = context;
        BrokerData = brokerData;
        Commands = commands;
    }

    /// <summary>Ordinary read-only commands coding agents run.</summary>
    public static CommandCorpus Precision => PrecisionCorpus.Value;

    /// <summary>Commands that must never be allowed by a read-only role.</summary>
    public static CommandCorpus Hostile => HostileCorpus.Value;

    /// <summary>The corpus's name (<c>precision</c>, <c>hostile</c>).</summary>
    public string Name { get; }

    /// <summary>Where its commands are decided.</summary>
    public CommandContext Context { get; }

    /// <summary>The broker's data directory in the corpus's context (protected for every role, as the broker does).</summary>
    public string BrokerData { get; }

    /// <summary>An engine for <paramref name="policy"/> that protects the corpus's broker data directory, as the broker protects its own.</summary>
    public PolicyEngine EngineFor(PolicyDocument policy) => new(policy, [BrokerData.TrimEnd('/') + "/**"]);

    /// <summary>The commands, as script text.</summary>
    public IReadOnlyList<string> Commands { get; }

    /// <summary>How many of the commands <paramref name="role"/> allows, and which.</summary>
    public (int Allowed, IReadOnlyList<string> AllowedCommands, IReadOnlyList<(string Command, Decision Decision)> Refused) Measure(PolicyEngine engine, RoleDefinition role)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(role);
        var allowed = new List<string>();
        var refused = new List<(string, Decision)>();
        foreach (var command in Commands)
        {
            var decision = engine.Decide([role], CommandInput.Script(command).In(Context));
            if (decision.Verdict == Verdict.Allow)
            {
                allowed.Add(command);
            }
            else
            {
                refused.Add((command, decision));
            }
        }

        return (allowed.Count, allowed, refused);
    }

    private static CommandCorpus Load(string file)
    {
        var name = "Broker.Policy.Corpora." + file;
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the corpus {name} is not embedded");
        using var reader = new StreamReader(stream);
        var yaml = new YamlStream();
        yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var context = (YamlMappingNode)root.Children[new YamlScalarNode("context")];
        var commands = (YamlSequenceNode)root.Children[new YamlScalarNode("commands")];
        string Field(string key) => ((YamlScalarNode)context.Children[new YamlScalarNode(key)]).Value!;
        return new CommandCorpus(
            Path.GetFileNameWithoutExtension(file),
            CommandContext.At(Field("cwd"), Field("home")),
            Field("broker_data"),
            [.. commands.Children.Cast<YamlScalarNode>().Select(n => n.Value!)]);
    }
}
