using System.Reflection;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Catalog;

/// <summary>
/// What programs' options and operands do: the catalog shipped with the broker (<c>programs.yaml</c>, versioned),
/// with a policy's own <c>programs:</c> entries replacing or adding to it. Immutable.
/// </summary>
internal sealed class ProgramCatalog
{
    private const string ResourceName = "Broker.Policy.Catalog.programs.yaml";

    private static readonly Lazy<ProgramCatalog> Shipped = new(LoadShipped);

    private readonly Dictionary<string, ProgramSpec> _programs;

    public ProgramCatalog(int version, IReadOnlyDictionary<string, ProgramSpec> programs, AwsSecrets? aws = null)
    {
        Version = version;
        Aws = aws ?? AwsSecrets.None;
        _programs = new Dictionary<string, ProgramSpec>(programs, StringComparer.Ordinal);
    }

    /// <summary>The catalog shipped with the broker.</summary>
    public static ProgramCatalog Default => Shipped.Value;

    /// <summary>The version of the shipped catalog's format and content.</summary>
    public int Version { get; }

    public IEnumerable<ProgramSpec> Programs => _programs.Values;

    /// <summary>AWS actions that print secrets.</summary>
    public AwsSecrets Aws { get; }

    public ProgramSpec? Find(string program) => _programs.TryGetValue(program, out var spec) ? spec : null;

    /// <summary>This catalog with <paramref name="overrides"/> replacing entries of the same name.</summary>
    public ProgramCatalog With(IReadOnlyDictionary<string, ProgramSpec> overrides)
    {
        if (overrides.Count == 0)
        {
            return this;
        }

        var merged = new Dictionary<string, ProgramSpec>(_programs, StringComparer.Ordinal);
        foreach (var (name, spec) in overrides)
        {
            merged[name] = spec;
        }

        return new ProgramCatalog(Version, merged, Aws);
    }

    /// <summary>The text of the shipped catalog.</summary>
    public static string ShippedText()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the program catalog {ResourceName} is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static ProgramCatalog LoadShipped()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(ShippedText()));
        var reader = new Configuration.YamlReader("programs.yaml (shipped)");
        var catalog = new CatalogReader(reader).ReadShipped(yaml.Documents[0].RootNode);
        if (reader.Errors.Count > 0 || catalog is null)
        {
            throw new InvalidOperationException("the shipped program catalog is invalid: " + string.Join("; ", reader.Errors));
        }

        return catalog;
    }
}
