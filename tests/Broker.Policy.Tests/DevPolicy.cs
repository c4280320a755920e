namespace Broker.Policy.Tests;

/// <summary>Loads docs/examples/dev-policy.yaml from the repository once.</summary>
internal static class DevPolicy
{
    private static readonly Lazy<PolicyDocument> Loaded = new(Load);

    public static PolicyDocument Document => Loaded.Value;

    public static string Path { get; } = FindRepositoryFile("docs/examples/dev-policy.yaml");

    public static CallerIdentity Agent { get; } = new("broker-dev", "agent-1", new Dictionary<string, IReadOnlyList<string>>());

    public static Decision Decide(string script)
    {
        var roles = Document.ResolveRoles(Agent);
        return new PolicyEngine(Document).Decide(roles, CommandInput.Script(script));
    }

    public static Decision DecideArgv(params string[] argv)
    {
        var roles = Document.ResolveRoles(Agent);
        return new PolicyEngine(Document).Decide(roles, CommandInput.Argv(argv));
    }

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
