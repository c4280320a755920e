using System.Diagnostics;
using Broker.DevServices.Ssm.Agent;

namespace Broker.DevServices.Local;

/// <summary>
/// The account the emulated instance of <c>ssm-local</c> runs its shells as, like the agent's <c>ssm-user</c>. A
/// root broker gives them a dedicated unprivileged system account, <see cref="Name"/> (created when missing), so a
/// command run on the "instance" can read neither the broker's keys nor its recordings; an unprivileged broker
/// cannot switch accounts and runs them as itself, which the start-up log says as a warning.
/// </summary>
public static class DevInstanceAccount
{
    /// <summary>The dedicated account's name.</summary>
    public const string Name = "broker-ssm-local";

    private const int CreationAttempts = 20;

    /// <summary>Finds or creates the account when the broker is root.</summary>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The account (null: the broker's own), a line for the start-up log and whether it is a warning; or why none can be had.</returns>
    public static async Task<(InstanceAccount? Account, string Description, bool Warning, string? Error)> ResolveAsync(CancellationToken cancellationToken)
    {
        if (Broker.Core.Accounts.AccountPrivileges.BrokerUid != 0)
        {
            return (null, $"target 'ssm-local' (dev SSM emulator): the instance's shells run as the broker's own account ({Environment.UserName}): only a root broker switches to {Name}", true, null);
        }

        for (var attempt = 0; attempt < CreationAttempts; attempt++)
        {
            if (InstanceAccount.Find(Name) is { } existing)
            {
                return (existing, $"target 'ssm-local' (dev SSM emulator): the instance's shells run as {Name} (uid {existing.UserId})", false, null);
            }

            // Another broker creating it at the same moment makes useradd fail (name taken, or the database locked):
            // the loop then finds it, or tries again.
            if (await UserAddAsync(cancellationToken).ConfigureAwait(false) is { } failure && attempt == CreationAttempts - 1)
            {
                return (null, string.Empty, false, $"cannot create the account {Name} for the ssm-local instance: {failure}");
            }

            if (InstanceAccount.Find(Name) is null)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20 * (attempt + 1)), cancellationToken).ConfigureAwait(false);
            }
        }

        return (null, string.Empty, false, $"cannot create the account {Name} for the ssm-local instance");
    }

    /// <summary>Runs useradd for a system account with its own group, no home and no login shell; null when it succeeded.</summary>
    private static async Task<string?> UserAddAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("useradd")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", NoLoginShell(), "--comment", "broker dev SSM instance", Name])
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            _ = await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            var text = (await error.ConfigureAwait(false)).Trim();
            return process.ExitCode == 0 ? null : $"useradd exited with {process.ExitCode}: {text}";
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return $"useradd: {ex.Message}";
        }
    }

    private static string NoLoginShell() => File.Exists("/usr/sbin/nologin") ? "/usr/sbin/nologin" : "/bin/false";
}
