using System.Runtime.InteropServices;
using System.Text;
using Broker.Core.Native;

namespace Broker.Core.Processes;

/// <summary>
/// Starts a program with glibc's <c>posix_spawn</c> (vfork semantics: safe from a multi-threaded runtime) as a
/// session leader (<c>POSIX_SPAWN_SETSID</c>), with default signal dispositions and an empty signal mask (the
/// runtime ignores SIGPIPE; children must not inherit that). The broker starts only its spawn helper this way:
/// target programs need what posix_spawn cannot do (another account, a cgroup at birth), which the helper does.
/// </summary>
internal static unsafe class ProcessSpawner
{
    /// <summary>Spawns with the given pipe ends as stdin, stdout and stderr.</summary>
    public static SpawnResult SpawnOnPipes(SpawnRequest request, int stdinRead, int stdoutWrite, int stderrWrite) =>
        Spawn(request, (actions) =>
        {
            Check(LibC.posix_spawn_file_actions_adddup2((void*)actions, stdinRead, 0), "adddup2");
            Check(LibC.posix_spawn_file_actions_adddup2((void*)actions, stdoutWrite, 1), "adddup2");
            Check(LibC.posix_spawn_file_actions_adddup2((void*)actions, stderrWrite, 2), "adddup2");
        });

    private static SpawnResult Spawn(SpawnRequest request, Action<nint> addStdio)
    {
        var actions = NativeMemory.AllocZeroed(LibC.FileActionsSize);
        var attributes = NativeMemory.AllocZeroed(LibC.SpawnAttrSize);
        var signals = NativeMemory.AllocZeroed(LibC.SigSetSize);
        var strings = new List<nint>();
        try
        {
            Check(LibC.posix_spawn_file_actions_init(actions), "file_actions_init");
            Check(LibC.posix_spawnattr_init(attributes), "spawnattr_init");
            addStdio((nint)actions);
            if (request.WorkingDirectory is { } cwd)
            {
                var dir = AllocString(cwd, strings);
                Check(LibC.posix_spawn_file_actions_addchdir_np(actions, dir), "addchdir");
            }

            var firstClosed = 3;
            if (request.InheritedDescriptor is { } inherited)
            {
                // dup2 onto a different number is what clears close-on-exec; the caller never passes fd 3 itself.
                Check(LibC.posix_spawn_file_actions_adddup2(actions, inherited, 3), "adddup2");
                firstClosed = 4;
            }

            // Descriptors the runtime or a library opened without O_CLOEXEC must not reach the target.
            Check(LibC.posix_spawn_file_actions_addclosefrom_np(actions, firstClosed), "addclosefrom");

            Check(LibC.posix_spawnattr_setflags(attributes, (short)(LibC.POSIX_SPAWN_SETSID | LibC.POSIX_SPAWN_SETSIGMASK | LibC.POSIX_SPAWN_SETSIGDEF)), "setflags");
            LibC.sigemptyset(signals);
            Check(LibC.posix_spawnattr_setsigmask(attributes, signals), "setsigmask");
            LibC.sigfillset(signals);
            LibC.sigdelset(signals, 9);
            LibC.sigdelset(signals, 19);
            Check(LibC.posix_spawnattr_setsigdefault(attributes, signals), "setsigdefault");

            var argv = AllocArray(request.Arguments, strings);
            var envp = AllocArray(request.Environment.Select(kv => kv.Key + "=" + kv.Value).ToList(), strings);
            var path = AllocString(request.Path, strings);
            int pid;
            var rc = LibC.posix_spawn(&pid, path, actions, attributes, (byte**)argv, (byte**)envp);
            if (rc != 0)
            {
                return SpawnResult.Failed($"cannot start {request.Path}: {LibC.Describe(rc)}");
            }

            return SpawnResult.Started(pid);
        }
        finally
        {
            LibC.posix_spawn_file_actions_destroy(actions);
            LibC.posix_spawnattr_destroy(attributes);
            NativeMemory.Free(actions);
            NativeMemory.Free(attributes);
            NativeMemory.Free(signals);
            foreach (var p in strings)
            {
                NativeMemory.Free((void*)p);
            }
        }
    }

    private static byte* AllocString(string value, List<nint> owned)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        var p = (byte*)NativeMemory.Alloc((nuint)count + 1);
        Encoding.UTF8.GetBytes(value, new Span<byte>(p, count));
        p[count] = 0;
        owned.Add((nint)p);
        return p;
    }

    private static nint AllocArray(IReadOnlyList<string> values, List<nint> owned)
    {
        var array = (byte**)NativeMemory.Alloc((nuint)((values.Count + 1) * sizeof(nint)));
        owned.Add((nint)array);
        for (var i = 0; i < values.Count; i++)
        {
            array[i] = AllocString(values[i], owned);
        }

        array[values.Count] = null;
        return (nint)array;
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0)
        {
            throw new IOException($"posix_spawn {what} failed: {LibC.Describe(rc)}");
        }
    }
}

/// <summary>The pid of a started program, or why it could not start.</summary>
internal readonly record struct SpawnResult(int ProcessId, string? Error)
{
    public static SpawnResult Started(int pid) => new(pid, null);

    public static SpawnResult Failed(string error) => new(0, error);

    public bool Succeeded => Error is null;
}
