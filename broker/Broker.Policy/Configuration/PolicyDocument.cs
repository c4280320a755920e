using Broker.Policy.Decisions;

namespace Broker.Policy;

/// <summary>An immutable, validated policy snapshot. Reloading builds a new one; swap the reference atomically.</summary>
public sealed class PolicyDocument
{
    internal PolicyDocument(
        string fileName,
        IReadOnlySet<string> systemDirectories,
        IReadOnlyList<IssuerDefinition> issuers,
        IReadOnlyList<TargetDefinition> targets,
        IReadOnlyList<IdentityRule> identities,
        IReadOnlyList<RoleDefinition> roles,
        IReadOnlyList<string> observerGroups,
        IReadOnlyList<string> operatorGroups,
        StsDefinition sts,
        Catalog.ProgramCatalog? catalog = null)
    {
        Catalog = catalog ?? Broker.Policy.Catalog.ProgramCatalog.Default;
        FileName = fileName;
        SystemDirectories = systemDirectories;
        Issuers = issuers;
        Targets = targets;
        Identities = identities;
        Roles = roles;
        ObserverGroups = observerGroups;
        OperatorGroups = operatorGroups;
        Sts = sts;
    }

    /// <summary>The program catalog: the shipped one with the policy's own <c>programs:</c> entries over it.</summary>
    internal Catalog.ProgramCatalog Catalog { get; }

    /// <summary>The file the policy was loaded from.</summary>
    public string FileName { get; }

    /// <summary>Directories in which a program path counts as its basename.</summary>
    public IReadOnlySet<string> SystemDirectories { get; }

    /// <summary>Trusted token issuers.</summary>
    public IReadOnlyList<IssuerDefinition> Issuers { get; }

    /// <summary>Named targets.</summary>
    public IReadOnlyList<TargetDefinition> Targets { get; }

    /// <summary>Identity → role rules.</summary>
    internal IReadOnlyList<IdentityRule> Identities { get; }

    /// <summary>Roles, in file order.</summary>
    public IReadOnlyList<RoleDefinition> Roles { get; }

    /// <summary>Groups whose members may watch any session read-only.</summary>
    public IReadOnlyList<string> ObserverGroups { get; }

    /// <summary>Groups whose members may terminate any session.</summary>
    public IReadOnlyList<string> OperatorGroups { get; }

    /// <summary>How STS is reached for roles with <c>aws</c> settings (defaults when the file has no <c>sts</c> section).</summary>
    public StsDefinition Sts { get; }

    /// <summary>How the broker itself runs (the <c>server</c> section; defaults when the file has none).</summary>
    public ServerDefinition Server { get; internal init; } = new();

    /// <summary>
    /// The roles granted to <paramref name="identity"/>: its issuer must be trusted and meet the issuer's required
    /// claims; then every identity rule of that issuer whose claims all match grants its roles (distinct, file order).
    /// </summary>
    public IReadOnlyList<RoleDefinition> ResolveRoles(CallerIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var issuer = Issuers.FirstOrDefault(i => i.Issuer == identity.Issuer);
        if (issuer is null || !ClaimsMatch(issuer.RequiredClaims, identity))
        {
            return [];
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in Identities)
        {
            if (rule.Issuer == identity.Issuer && ClaimsMatch(rule.Claims, identity))
            {
                names.UnionWith(rule.Roles);
            }
        }

        return Roles.Where(r => names.Contains(r.Name)).ToArray();
    }

    /// <summary>Whether any of <paramref name="roles"/> may open <paramref name="target"/>; the denial names only the target.</summary>
    public TargetAccess CheckTarget(IReadOnlyList<RoleDefinition> roles, string target)
    {
        ArgumentNullException.ThrowIfNull(roles);
        ArgumentNullException.ThrowIfNull(target);
        var definition = Targets.FirstOrDefault(t => t.Name == target);
        if (definition is null)
        {
            return TargetAccess.Denied(target);
        }

        var granting = roles.Where(r => r.Targets.Any(p => new GlobPattern(p).IsMatch(target))).ToArray();
        return granting.Length == 0 ? TargetAccess.Denied(target) : TargetAccess.Allowed(definition, granting);
    }

    /// <summary>Whether the identity belongs to an observer group.</summary>
    public bool IsObserver(CallerIdentity identity) => InAnyGroup(identity, ObserverGroups);

    /// <summary>Whether the identity belongs to an operator group.</summary>
    public bool IsOperator(CallerIdentity identity) => InAnyGroup(identity, OperatorGroups);

    private static bool InAnyGroup(CallerIdentity identity, IReadOnlyList<string> groups)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return identity.Claims.TryGetValue("groups", out var values) && values.Any(groups.Contains);
    }

    private static bool ClaimsMatch(IReadOnlyDictionary<string, IReadOnlyList<string>> required, CallerIdentity identity)
    {
        foreach (var (claim, patterns) in required)
        {
            IReadOnlyList<string>? values = identity.Claims.TryGetValue(claim, out var found) ? found : null;
            if (claim == "sub" && values is null)
            {
                values = [identity.Subject];
            }

            if (values is null || !values.Any(v => patterns.Any(p => new GlobPattern(p).IsMatch(v))))
            {
                return false;
            }
        }

        return true;
    }
}
