using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Broker.Core.Native;

namespace Broker.Core.Accounts;

/// <summary>
/// The host's account database: lookups through the C library (so every name service the host uses answers), and
/// creation of session accounts with <c>groupadd</c> and <c>useradd</c>, the tools that take the database's lock.
/// </summary>
public static class SystemAccounts
{
    private static readonly SemaphoreSlim s_creation = new(1, 1);
    // useradd exits 1 when it cannot lock /etc/passwd, groupadd and useradd exit 10 when they cannot lock /etc/group.
    private static readonly int[] s_lockBusyExitCodes = [1, 10];
    private const int CreationAttempts = 30;

    /// <summary>The account named <paramref name="name"/>, or null.</summary>
    public static PasswdEntry? ByName(string name) => Lookup(Encoding.UTF8.GetBytes(name + "\0"), 0);

    /// <summary>The account with uid <paramref name="uid"/>, or null.</summary>
    public static PasswdEntry? ByUid(uint uid) => Lookup(null, uid);

    /// <summary>The name of group <paramref name="gid"/>, or null.</summary>
    internal static unsafe string? GroupName(uint gid)
    {
        // struct group: name, passwd, gid, members. Only the name is read.
        var size = 1024;
        var group = stackalloc byte[32];
        while (true)
        {
            var buffer = new byte[size];
            byte* result = null;
            int rc;
            fixed (byte* b = buffer)
            {
                rc = LibC.getgrgid_r(gid, group, b, (nuint)size, &result);
                if (rc == 0)
                {
                    return result is null ? null : Marshal.PtrToStringUTF8(*(nint*)group);
                }
            }

            if (rc != LibC.ERANGE || size > 1 << 20)
            {
                return null;
            }

            size *= 4;
        }
    }

    /// <summary>
    /// Makes sure the session account <paramref name="name"/> exists with uid and gid <paramref name="uid"/>, creating
    /// its group and itself when missing. Creations in this process are serialised; another process creating at the
    /// same moment makes <c>useradd</c> find the database locked, which is retried, and the account it created is
    /// then found. Returns null, or why the account cannot be used (the uid or the name belongs to someone else).
    /// </summary>
    internal static async Task<string?> EnsureSessionAccountAsync(string name, uint uid, string home, CancellationToken cancellationToken)
    {
        await s_creation.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; attempt < CreationAttempts; attempt++)
            {
                if (Check(name, uid) is { } state)
                {
                    return state.Usable ? null : state.Problem;
                }

                if (LibC.geteuid() != 0)
                {
                    return $"session account {name} (uid {uid}) does not exist, and only a broker running as root creates accounts";
                }

                var group = GroupName(uid);
                if (group is not null && group != name)
                {
                    return $"gid {uid} belongs to group '{group}', not to session account {name}";
                }

                var failure = group is null ? await RunAsync("groupadd", ["-g", Text(uid), name], cancellationToken).ConfigureAwait(false) : null;
                if (failure is null)
                {
                    // No lastlog entry (-l): a high uid would make a sparse file of gigabytes; no home made (-M): the pool makes it.
                    failure = await RunAsync("useradd", ["-u", Text(uid), "-g", Text(uid), "-M", "-N", "-l", "-d", home, "-s", NoLoginShell(), "-c", "broker session account", name], cancellationToken).ConfigureAwait(false);
                }

                if (failure is null || Array.IndexOf(s_lockBusyExitCodes, failure.Value.ExitCode) < 0)
                {
                    if (Check(name, uid) is { } after)
                    {
                        return after.Usable ? null : after.Problem;
                    }

                    return failure is { } f ? $"cannot create session account {name}: {f.Output}" : $"session account {name} was created but cannot be found";
                }

                // Another process holds the account database's lock.
                await Task.Delay(TimeSpan.FromMilliseconds(20 * (attempt + 1)), cancellationToken).ConfigureAwait(false);
            }

            return $"cannot create session account {name}: the account database stayed locked";
        }
        finally
        {
            s_creation.Release();
        }
    }

    /// <summary>Null while neither the name nor the uid exists; otherwise whether they are the expected pair.</summary>
    private static (bool Usable, string? Problem)? Check(string name, uint uid)
    {
        var byUid = ByUid(uid);
        var byName = ByName(name);
        if (byUid is null && byName is null)
        {
            return null;
        }

        if (byUid is { } u && u.Name != name)
        {
            return (false, $"uid {uid} belongs to '{u.Name}', not to session account {name}");
        }

        if (byName is { } n && (n.Uid != uid || n.Gid != uid))
        {
            return (false, $"account {name} exists with uid {n.Uid} and gid {n.Gid}, not {uid}");
        }

        return (true, null);
    }

    private static string Text(uint value) => value.ToString(CultureInfo.InvariantCulture);

    private static string NoLoginShell() =>
        File.Exists("/usr/sbin/nologin") ? "/usr/sbin/nologin" : File.Exists("/sbin/nologin") ? "/sbin/nologin" : "/bin/false";

    private static async Task<(int ExitCode, string Output)?> RunAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        var text = ((await output.ConfigureAwait(false)) + (await error.ConfigureAwait(false))).Trim();
        return process.ExitCode == 0 ? null : (process.ExitCode, $"{program} exited with {process.ExitCode}: {text}");
    }

    /// <summary>getpwnam_r when <paramref name="name"/> (NUL-terminated) is given, getpwuid_r otherwise.</summary>
    private static unsafe PasswdEntry? Lookup(byte[]? name, uint uid)
    {
        var size = 1024;
        var entry = stackalloc byte[LibC.PasswdSize];
        while (true)
        {
            var buffer = new byte[size];
            byte* result = null;
            int rc;
            fixed (byte* b = buffer)
            fixed (byte* n = name)
            {
                rc = name is null ? LibC.getpwuid_r(uid, entry, b, (nuint)size, &result) : LibC.getpwnam_r(n, entry, b, (nuint)size, &result);
                if (rc == 0)
                {
                    if (result is null)
                    {
                        return null;
                    }

                    return new PasswdEntry(
                        Marshal.PtrToStringUTF8(*(nint*)entry) ?? "",
                        *(uint*)(entry + LibC.PasswdUidOffset),
                        *(uint*)(entry + LibC.PasswdGidOffset),
                        Marshal.PtrToStringUTF8(*(nint*)(entry + LibC.PasswdDirOffset)) ?? "/",
                        Marshal.PtrToStringUTF8(*(nint*)(entry + LibC.PasswdShellOffset)) ?? "");
                }
            }

            if (rc != LibC.ERANGE || size > 1 << 20)
            {
                return null;
            }

            size *= 4;
        }
    }
}

/// <summary>An entry of the account database.</summary>
/// <param name="Name">The account's name.</param>
/// <param name="Uid">Its user id.</param>
/// <param name="Gid">Its primary group id.</param>
/// <param name="Home">Its home directory.</param>
/// <param name="Shell">Its login shell.</param>
public sealed record PasswdEntry(string Name, uint Uid, uint Gid, string Home, string Shell);
