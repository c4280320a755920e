using Broker.Core.Accounts;
using Broker.Core.Sessions;
using Broker.Core.Targets;
using Broker.DevServices.Local;
using Broker.Identity.Dev;
using Broker.Identity.Tokens;
using Broker.Policy;
using Broker.Server.Access;
using Broker.Server.Targets;

namespace Broker.Server.Configuration;

/// <summary>Turns a policy file (or the embedded dev policy) into validated broker settings.</summary>
internal static class SettingsLoader
{
    /// <summary>Default dev listen address: h2c on loopback only.</summary>
    public const string DevUrl = "http://127.0.0.1:7443";

    private const string DevPolicyResource = "Broker.Server.dev-policy.yaml";

    /// <summary>
    /// Loads settings; returns the errors (file:line:column: reason) instead when the configuration is invalid.
    /// <paramref name="configText"/> is the file's content when the caller has already read it whole (a reload).
    /// At start (<paramref name="running"/> null) the data directory is secured and the dev issuer's key read; a
    /// reload passes the running settings, whose key is used again: keys are read from disk once.
    /// <paramref name="devAws"/> are the emulated AWS services of <c>serve --dev</c>: the embedded dev policy's
    /// <c>ssm-local</c> target and STS then point at them, and the STS emulator's keys are the broker's base credentials.
    /// </summary>
    public static (BrokerSettings? Settings, IReadOnlyList<string> Errors) Load(string? configFile, bool dev, string dataDirectory, string? urls, string? configText = null, BrokerSettings? running = null, DevAwsServices? devAws = null)
    {
        if (configFile is null && !dev)
        {
            return (null, ["either --config FILE or --dev is required"]);
        }

        // The dev policy's version is that of the embedded text: the emulators' loopback URLs put into it change with
        // every start, and approvals are bound to the version (an approved command must stay approved across restarts).
        var embedded = configFile is null ? ReadDevPolicy() : null;
        var devPolicy = embedded is not null ? devAws?.Apply(embedded) ?? embedded : null;
        var loaded = devPolicy is not null ? PolicyLoader.Parse(devPolicy, "dev-policy.yaml (embedded)")
            : configText is null ? PolicyLoader.LoadFile(configFile!)
            : PolicyLoader.Parse(configText, configFile!);
        if (!loaded.Succeeded)
        {
            return (null, [.. loaded.Errors.Select(e => e.ToString())]);
        }

        var document = loaded.Document!;
        var notes = new List<(string Text, bool Warning)>();
        if (devAws is not null && devPolicy is not null)
        {
            notes.Add((devAws.Description, devAws.Warning));
        }

        if (running is null)
        {
            var (warnings, insecure) = DataDirectoryAccess.Secure(dataDirectory);
            if (insecure is not null)
            {
                return (null, [insecure]);
            }

            notes.AddRange(warnings.Select(w => (w, true)));
        }

        var devIssuer = dev ? running?.DevIssuer ?? DevIssuer.LoadOrCreate(dataDirectory) : null;
        var issuers = new List<IssuerSettings>();
        foreach (var issuer in document.Issuers)
        {
            if (issuer.Issuer == DevIssuer.IssuerName)
            {
                if (devIssuer is null)
                {
                    return (null, [$"{document.FileName}: issuer '{DevIssuer.IssuerName}' is only trusted with --dev"]);
                }

                issuers.Add(devIssuer.Settings);
                continue;
            }

            var settings = new IssuerSettings
            {
                Issuer = issuer.Issuer,
                Audience = issuer.Audience,
                RequiredClaims = ValidatorClaims(issuer.RequiredClaims),
                Algorithms = issuer.Algorithms,
                RequireHttps = !IsLoopbackHttp(issuer.Issuer),
            };
            var problems = settings.Validate();
            if (problems.Count > 0)
            {
                return (null, [.. problems.Select(p => $"{document.FileName}: issuer '{issuer.Issuer}': {p}")]);
            }

            issuers.Add(settings);
        }

        if (devIssuer is not null && issuers.All(i => i.Issuer != DevIssuer.IssuerName))
        {
            issuers.Add(devIssuer.Settings);
        }

        var targets = new List<LocalShellSettings>();
        var ssmTargets = new List<ConfiguredSsmTarget>();
        var canSwitch = AccountPrivileges.CanSwitchAccounts;
        foreach (var t in document.Targets)
        {
            if (t.Ssm is { } ssm)
            {
                var target = SsmTargets.Settings(t.Name, ssm, Limits(t));
                ssmTargets.Add(new ConfiguredSsmTarget(target, ssm.RoleArn));
                notes.Add((SsmTargets.Describe(target, ssm.RoleArn), false));
                continue;
            }

            var (account, description, warning, accountError) = TargetAccounts.Resolve(t, canSwitch, AccountPrivileges.BrokerUid);
            if (account is null)
            {
                return (null, [accountError!]);
            }

            notes.Add((description!, warning));
            targets.Add(new LocalShellSettings
            {
                Name = t.Name,
                Shell = t.Shell,
                InteractiveArguments = t.Args,
                WorkingDirectory = t.WorkingDirectory,
                Environment = Merge(LocalShellSettings.DefaultEnvironment(), t.Environment),
                RunAs = account,
                Umask = t.Account.Umask ?? LocalShellSettings.DefaultUmask,
                Limits = Limits(t),
            });
        }

        return (new BrokerSettings
        {
            ConfigFile = configFile,
            DevMode = dev,
            DataDirectory = dataDirectory,
            Urls = urls is not null ? urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : document.Server.Urls ?? [DevUrl],
            Issuers = issuers,
            Targets = targets,
            SsmTargets = ssmTargets,
            Access = new PolicyAccess(
                document,
                [Path.GetFullPath(dataDirectory).TrimEnd('/') + "/**"],
                [.. targets.Select(t => new TargetPlace(t.Name, t.StartDirectory, t.Environment.GetValueOrDefault("HOME")))],
                PolicyVersionOf(embedded ?? configText, configFile)),
            Sts = document.Sts,
            StartupNotes = notes,
            DevIssuer = devIssuer,
            AwsBaseCredentials = devAws is not null && devPolicy is not null
                ? new Amazon.Runtime.BasicAWSCredentials(devAws.Sts.BaseCredentials.AccessKeyId, devAws.Sts.BaseCredentials.SecretAccessKey)
                : null,
            Server = document.Server,
            Recording = new Recorder.RecordingWriterOptions { StallTimeout = document.Server.Recording.StallTimeout },
        }, []);
    }

    private static SessionLimits Limits(TargetDefinition target) => new()
    {
        MaxSessionsPerIdentity = target.MaxSessionsPerIdentity,
        IdleTimeout = target.IdleTimeout,
        MaxDuration = target.MaxDuration,
        MaxRecordingBytes = target.MaxRecordingBytes,
    };

    /// <summary>
    /// The SHA-256 of the policy text, which approvals are bound to. At start the file is read a second time for it
    /// (the loader read it once); a file that changed in between gives a version no approval matches, which only
    /// asks again.
    /// </summary>
    private static string PolicyVersionOf(string? text, string? configFile)
    {
        try
        {
            var bytes = text is not null ? System.Text.Encoding.UTF8.GetBytes(text) : File.ReadAllBytes(configFile!);
            return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return PolicyAccess.UnknownVersion;
        }
    }

    /// <summary>The dev policy ships inside the binary so that <c>serve --dev</c> works from any directory.</summary>
    public static string ReadDevPolicy()
    {
        using var stream = typeof(SettingsLoader).Assembly.GetManifestResourceStream(DevPolicyResource)
            ?? throw new InvalidOperationException("the embedded dev policy is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// The validator compares claim values exactly, while the policy allows globs: a claim with a glob
    /// value is only required to be present there, and its values are matched by the policy when roles
    /// are resolved (a token that does not match gets no role).
    /// </summary>
    private static Dictionary<string, IReadOnlyList<string>> ValidatorClaims(IReadOnlyDictionary<string, IReadOnlyList<string>> required) =>
        required.ToDictionary(
            c => c.Key,
            c => c.Value.Any(v => v.IndexOfAny(['*', '?']) >= 0) ? (IReadOnlyList<string>)[] : c.Value,
            StringComparer.Ordinal);

    private static bool IsLoopbackHttp(string issuer) =>
        Uri.TryCreate(issuer, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback;

    private static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> first, IReadOnlyDictionary<string, string> second)
    {
        var merged = new Dictionary<string, string>(first, StringComparer.Ordinal);
        foreach (var (key, value) in second)
        {
            merged[key] = value;
        }

        return merged;
    }
}
