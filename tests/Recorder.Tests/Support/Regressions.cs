namespace Recorder.Tests.Support;

/// <summary>The committed regression recordings (tests/Recorder.Tests/Regressions) and the key that signs them.</summary>
internal static class Regressions
{
    public static string Directory => Path.Combine(Repository.Root, "tests", "Recorder.Tests", "Regressions");

    public static RecordingSigningKey Key() => RecordingSigningKey.FromPrivateKeyPem(File.ReadAllText(Path.Combine(Directory, "regression-signing-key.pem")));

    public static string PathOf(string name) => Path.Combine(Directory, name + RecordingFiles.Extension);

    /// <summary>Every committed recording, crafted and found by the fuzzer.</summary>
    public static IEnumerable<string> Files() =>
        System.IO.Directory.EnumerateFiles(Directory, "*" + RecordingFiles.Extension).Order(StringComparer.Ordinal);
}
