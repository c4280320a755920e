using Broker.Policy.Decisions;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>Builds a <see cref="PolicyDocument"/> from the YAML tree, validating every section.</summary>
internal sealed partial class PolicyDocumentReader(YamlReader reader, string fileName)
{
    private static readonly string[] DefaultSystemDirectories = ["/bin", "/usr/bin", "/usr/local/bin", "/sbin", "/usr/sbin", "/usr/local/sbin"];

    private readonly Dictionary<string, YamlNode> _roleNodes = new(StringComparer.Ordinal);

    public PolicyDocument? Read(YamlNode root)
    {
        var fields = reader.Mapping(root, "the policy", "version", "system_dirs", "programs", "issuers", "targets", "identities", "observers", "operators", "roles", "sts", "server");
        if (fields is null)
        {
            return null;
        }

        if (fields.TryGetValue("version", out var version) && reader.Integer(version, "version", 1, 1) is null)
        {
            return null;
        }

        var systemDirectories = new HashSet<string>(StringComparer.Ordinal);
        if (fields.TryGetValue("system_dirs", out var dirsNode))
        {
            foreach (var directory in reader.StringList(dirsNode, "system_dirs"))
            {
                var trimmed = directory.Length > 1 ? directory.TrimEnd('/') : directory;
                if (!trimmed.StartsWith('/') || trimmed.Contains("/./", StringComparison.Ordinal) || trimmed.Contains("..", StringComparison.Ordinal) || trimmed.Contains("//", StringComparison.Ordinal))
                {
                    reader.Error(dirsNode, $"system_dirs entry '{directory}' must be a normalised absolute path");
                }

                systemDirectories.Add(trimmed);
            }
        }
        else
        {
            systemDirectories.UnionWith(DefaultSystemDirectories);
        }

        var issuers = fields.TryGetValue("issuers", out var issuersNode) ? ReadIssuers(issuersNode) : [];
        var targets = fields.TryGetValue("targets", out var targetsNode) ? ReadTargets(targetsNode) : [];
        var catalog = Broker.Policy.Catalog.ProgramCatalog.Default;
        if (fields.TryGetValue("programs", out var programsNode))
        {
            catalog = catalog.With(new Broker.Policy.Catalog.CatalogReader(reader).ReadEntries(programsNode));
        }

        var engine = new PolicyEngine(systemDirectories, catalog);
        if (programsNode is not null)
        {
            foreach (var failure in Broker.Policy.Catalog.CatalogExamples.Check(engine, catalog.Programs.Where(p => p.Examples.Count > 0 && ProgramListed(programsNode, p.Name))))
            {
                reader.Error(programsNode, failure);
            }
        }
        var roles = fields.TryGetValue("roles", out var rolesNode) ? ReadRoles(rolesNode, targets, engine) : [];
        var identities = fields.TryGetValue("identities", out var identitiesNode) ? ReadIdentities(identitiesNode, issuers, roles) : [];
        var observers = fields.TryGetValue("observers", out var observersNode) ? ReadGroups(observersNode, "observers") : [];
        var operators = fields.TryGetValue("operators", out var operatorsNode) ? ReadGroups(operatorsNode, "operators") : [];
        var sts = fields.TryGetValue("sts", out var stsNode) ? ReadSts(stsNode) : new StsDefinition();
        var server = fields.TryGetValue("server", out var serverNode) ? new ServerSectionReader(reader, fileName).Read(serverNode) : new ServerDefinition();

        return new PolicyDocument(fileName, systemDirectories, issuers, targets, identities, roles, observers, operators, sts, catalog) { Server = server };
    }

    private static bool ProgramListed(YamlNode programs, string name) =>
        programs is YamlSequenceNode sequence && sequence.Children.OfType<YamlMappingNode>().Any(entry =>
            entry.Children.Any(pair => pair.Key is YamlScalarNode { Value: "name" or "names" } && (pair.Value is YamlScalarNode scalar ? scalar.Value == name
                : pair.Value is YamlSequenceNode list && list.Children.OfType<YamlScalarNode>().Any(n => n.Value == name))));

    private List<string> ReadGroups(YamlNode node, string what)
    {
        var fields = reader.Mapping(node, what, "groups");
        return fields is not null && fields.TryGetValue("groups", out var groups) ? reader.StringList(groups, what + " groups") : [];
    }
}
