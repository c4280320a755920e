using Broker.Server.Configuration;
using Broker.Server.Masking;

namespace Broker.Server.Access;

/// <summary>
/// Reloads the policy file into the running broker: the new file is validated exactly as at
/// start, and only a valid one replaces the snapshot (atomically, for new decisions and new
/// sessions; open sessions keep running). Issuers, targets and the <c>sts</c> section are read at
/// start only; a reload that changes them says so in the log.
/// </summary>
internal sealed partial class PolicyReloader
{
    private readonly BrokerSettings _settings;
    private readonly MaskingProfiles _masking;
    private readonly ILogger<PolicyReloader> _logger;
    private readonly Lock _gate = new();

    public PolicyReloader(BrokerSettings settings, MaskingProfiles masking, ILogger<PolicyReloader> logger)
    {
        _settings = settings;
        _masking = masking;
        _logger = logger;
    }

    /// <summary>Reloads the file; returns the problems (file:line:column: reason) when it was refused, empty when applied.</summary>
    public IReadOnlyList<string> Reload()
    {
        if (_settings.Access is not PolicyAccess access)
        {
            return ["the broker's access policy cannot be reloaded"];
        }

        lock (_gate)
        {
            var (loaded, errors) = SettingsLoader.Load(_settings.ConfigFile, _settings.DevMode, _settings.DataDirectory, null, _settings);
            if (loaded?.Access is not PolicyAccess fresh)
            {
                foreach (var error in errors)
                {
                    LogRefused(_logger, error);
                }

                return errors.Count > 0 ? errors : ["the policy could not be loaded"];
            }

            var document = fresh.Current.Document;
            var previous = access.Current.Document;
            access.Replace(document);
            _masking.Reset();
            LogReloaded(_logger, document.FileName, document.Roles.Count);
            if (!SameNames(previous.Issuers.Select(i => i.Issuer + " " + i.Audience), document.Issuers.Select(i => i.Issuer + " " + i.Audience)) ||
                !SameNames(previous.Targets.Select(t => t.Name), document.Targets.Select(t => t.Name)) ||
                previous.Sts != document.Sts)
            {
                LogRestartNeeded(_logger);
            }

            return [];
        }
    }

    private static bool SameNames(IEnumerable<string> a, IEnumerable<string> b) =>
        a.Order(StringComparer.Ordinal).SequenceEqual(b.Order(StringComparer.Ordinal), StringComparer.Ordinal);

    [LoggerMessage(Level = LogLevel.Error, Message = "Policy reload refused, the previous policy stays in force: {Error}")]
    private static partial void LogRefused(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy reloaded from {File} ({RoleCount} roles); open sessions keep running")]
    private static partial void LogReloaded(ILogger logger, string file, int roleCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The reloaded policy changes issuers, targets or the sts section: those take effect only after a restart")]
    private static partial void LogRestartNeeded(ILogger logger);
}
