using System.Runtime.Versioning;

// agent-client drives Linux terminals (termios, read(2), poll(2)); so do its tests.
[assembly: SupportedOSPlatform("linux")]
