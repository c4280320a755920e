using Broker.Server.Configuration;
using Broker.Server.Masking;

namespace Broker.Server.Access;

/// <summary>
/// Reloads the policy file into the running broker. Only a whole file is loaded: it is read once through a stable
/// stat (size, modification time and inode the same before and after the read), and a file edited in place since the
/// last load is refused (write the new policy to another file and rename it over the old one: a rename is atomic, an
/// in-place write can be seen half done). The new file is validated exactly as at start, and only a valid one
/// replaces the snapshot. Then every open session's roles are derived again from its identity: a session with no
/// role left for its target ends with the reason, the others decide their next commands by the new roles.
/// Issuers, targets and the <c>sts</c> section are read at start only; a reload that changes them says so in the log.
/// </summary>
internal sealed partial class PolicyReloader
{
    private readonly BrokerSettings _settings;
    private readonly MaskingProfiles _masking;
    private readonly OpenSessions _sessions;
    private readonly ILogger<PolicyReloader> _logger;
    private readonly Lock _gate = new();
    private PolicyFileVersion? _loaded;

    public PolicyReloader(BrokerSettings settings, MaskingProfiles masking, OpenSessions sessions, ILogger<PolicyReloader> logger)
    {
        _settings = settings;
        _masking = masking;
        _sessions = sessions;
        _logger = logger;
        _loaded = settings.ConfigFile is null ? null : PolicyFileVersion.Read(settings.ConfigFile, out _);
    }

    /// <summary>The SHA-256 of the policy file in force (null for the embedded dev policy).</summary>
    public string? LoadedSha256 => _loaded?.Sha256;

    /// <summary>Reloads the file; returns the problems (file:line:column: reason) when it was refused, empty when applied or unchanged.</summary>
    public IReadOnlyList<string> Reload()
    {
        if (_settings.Access is not PolicyAccess access || _settings.ConfigFile is not { } path)
        {
            return Refuse(["the broker's policy cannot be reloaded (it was not read from a file)"]);
        }

        lock (_gate)
        {
            var version = PolicyFileVersion.Read(path, out var problem);
            if (version is null)
            {
                return Refuse([$"{path}: {problem}"]);
            }

            if (_loaded is not null && version.Sha256 == _loaded.Sha256)
            {
                // Same content (perhaps renamed over with the same bytes): remember the file now in place.
                _loaded = version;
                LogUnchanged(_logger, path, version.Sha256);
                return [];
            }

            if (_loaded is not null && _loaded.EditedInPlace(version))
            {
                return Refuse([$"{path}: the file was written in place since it was loaded, and a file written in place may be read half written; "
                    + "write the new policy to another file and rename it over this one (mv new.yaml policy.yaml), then send SIGHUP again"]);
            }

            var (loaded, errors) = SettingsLoader.Load(path, _settings.DevMode, _settings.DataDirectory, null, version.Text, _settings);
            if (loaded?.Access is not PolicyAccess fresh)
            {
                return Refuse(errors.Count > 0 ? errors : ["the policy could not be loaded"]);
            }

            var document = fresh.Current.Document;
            var previous = access.Current.Document;
            access.Replace(document, version.Sha256);
            _loaded = version;
            _masking.Reset();
            var ended = _sessions.Reauthorize(access);
            LogReloaded(_logger, document.FileName, version.Sha256, document.Roles.Count, _sessions.Count, ended);
            if (!SameNames(previous.Issuers.Select(i => i.Issuer + " " + i.Audience), document.Issuers.Select(i => i.Issuer + " " + i.Audience)) ||
                !SameNames(previous.Targets.Select(t => t.Name), document.Targets.Select(t => t.Name)) ||
                previous.Sts != document.Sts)
            {
                LogRestartNeeded(_logger);
            }

            return [];
        }
    }

    private IReadOnlyList<string> Refuse(IReadOnlyList<string> errors)
    {
        foreach (var error in errors)
        {
            LogRefused(_logger, error);
        }

        return errors;
    }

    private static bool SameNames(IEnumerable<string> a, IEnumerable<string> b) =>
        a.Order(StringComparer.Ordinal).SequenceEqual(b.Order(StringComparer.Ordinal), StringComparer.Ordinal);

    [LoggerMessage(Level = LogLevel.Error, Message = "Policy reload refused, the previous policy stays in force: {Error}")]
    private static partial void LogRefused(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy reloaded from {File} (sha256 {Sha256}, {RoleCount} roles); {OpenCount} open sessions re-authorized, {EndedCount} ended")]
    private static partial void LogReloaded(ILogger logger, string file, string sha256, int roleCount, int openCount, int endedCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy reload: {File} is unchanged (sha256 {Sha256})")]
    private static partial void LogUnchanged(ILogger logger, string file, string sha256);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The reloaded policy changes issuers, targets or the sts section: those take effect only after a restart")]
    private static partial void LogRestartNeeded(ILogger logger);
}
