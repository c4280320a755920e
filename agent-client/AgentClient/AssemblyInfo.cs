using System.Runtime.Versioning;

// The client drives Linux terminals: termios through glibc/musl's layout, ioctl numbers, read(2) and poll(2).
[assembly: SupportedOSPlatform("linux")]
