namespace Broker.Core.Processes;

/// <summary>How the broker keeps track of every process a target session starts, so that it can kill them all.</summary>
public enum ContainmentMode
{
    /// <summary>A cgroup per session where this host allows it, the POSIX session id otherwise.</summary>
    Auto = 0,

    /// <summary>A cgroup per session; the broker does not start without it.</summary>
    Cgroup,

    /// <summary>The POSIX session id only: processes that call setsid escape.</summary>
    SessionId,
}
