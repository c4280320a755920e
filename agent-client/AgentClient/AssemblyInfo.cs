using System.Runtime.Versioning;

// The client drives POSIX terminals (termios, SIGWINCH).
[assembly: SupportedOSPlatform("linux")]
[assembly: SupportedOSPlatform("macos")]
