namespace Broker.Policy.Tests;

/// <summary>Loads docs/examples/dev-policy.yaml from the repository once.</summary>
internal static class DevPolicy
{
    private static readonly Lazy<PolicyDocument> Loaded = new(Load);

    public static PolicyDocument Document => Loaded.Value;

    public static string Path { get; } = FindRepositoryFile("docs/examples/dev-policy.yaml");

    public static CallerIdentity Agent { get; } = new("broker-dev", "agent-1", new Dictionary<string, IReadOnlyList<string>>());

    /// <summary>Where the dev policy's commands are decided in the tests: an agent in a project under its home.</summary>
    public static CommandContext Context { get; } = CommandContext.At("/home/agent/project", "/home/agent");

    private static readonly Lazy<PolicyEngine> Engine = new(() => new PolicyEngine(Document, ["/var/lib/broker/**"]));

    public static Decision Decide(string script) => Decide(script, Context);

    public static Decision Decide(string script, CommandContext context) =>
        Engine.Value.Decide(Document.ResolveRoles(Agent), CommandInput.Script(script).In(context));

    public static Decision DecideArgv(params string[] argv) =>
        Engine.Value.Decide(Document.ResolveRoles(Agent), CommandInput.Argv(argv).In(Context));

    private static PolicyDocument Load()
    {
        var result = PolicyLoader.LoadFile(Path);
        result.Errors.Should().BeEmpty();
        return result.Document!;
    }

    public static string FindRepositoryFile(string relative)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null)
        {
            var candidate = System.IO.Path.Combine(directory.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }

            directory = directory.Parent;
        }

        throw new FileNotFoundException(relative);
    }
}
