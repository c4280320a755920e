using System.Net.Sockets;
using AgentClient.Cli;
using AgentClient.Mux;
using AgentClient.Terminal;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Win32.SafeHandles;

namespace AgentClient.Tests.Mux;

/// <summary>A real master on a real socket in a private temp directory, with a command runner of the test's and a fake clock.</summary>
internal sealed class MasterHarness : IAsyncDisposable
{
    public const string Key = "http://127.0.0.1:1\n\n\n";
    public static readonly TimeSpan Persist = TimeSpan.FromMinutes(1);

    private readonly string _directory = Directory.CreateTempSubdirectory("mux-master-").FullName;
    private readonly MuxMaster _master;
    private readonly HttpMessageInvoker _http = new(new SocketsHttpHandler());
    private readonly CancellationTokenSource _end = new();

    public MasterHarness(uint servedUid, Func<MuxRequest, RequestScope, TerminationSignals, Task<int>> run)
    {
        SocketPath = MuxLocation.SocketPath(_directory, Key)!;
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        File.SetUnixFileMode(SocketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        listener.Listen(8);
        _master = new MuxMaster(Key, SocketPath, servedUid, Persist, _http, run, Log, Time);
        Running = _master.RunAsync(listener, _end.Token);
    }

    public static uint Uid { get; } = MuxNative.GetUid();

    public string SocketPath { get; }

    public FakeTimeProvider Time { get; } = new();

    public StringWriter Log { get; } = new();

    public Task Running { get; }

    /// <summary>Runs a request through the master as a thin client does, with pipes for its descriptors; returns the exit code (null: declined) and what was written to its output.</summary>
    public async Task<(int? Code, string Output)> RunAsync(MuxRequest request)
    {
        using var connection = MuxClient.Connect(SocketPath, Uid);
        connection.Should().NotBeNull("the master listens and runs as this uid");
        LibC.TryCreatePipe(out var inRead, out var inWrite).Should().BeTrue();
        LibC.TryCreatePipe(out var outRead, out var outWrite).Should().BeTrue();
        _ = LibC.Close(inWrite);
        using var output = new FileStream(new SafeFileHandle(outRead, ownsHandle: true), FileAccess.Read);
        var reading = new StreamReader(output).ReadToEndAsync();
        var code = await Task.Run(() => MuxClient.Run(connection!, request, [inRead, outWrite, outWrite]));
        _ = LibC.Close(inRead);
        _ = LibC.Close(outWrite);
        return (code, await reading.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    public async ValueTask DisposeAsync()
    {
        await _end.CancelAsync();
        await Running.WaitAsync(TimeSpan.FromSeconds(30));
        _master.Dispose();
        _http.Dispose();
        _end.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
