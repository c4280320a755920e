using System.Runtime.Versioning;

// Unix sockets with SCM_RIGHTS, statx and execv through glibc/musl's layout, as the full client.
[assembly: SupportedOSPlatform("linux")]
