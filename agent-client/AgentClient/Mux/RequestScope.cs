using System.Text;
using AgentClient.Terminal;

namespace AgentClient.Mux;

/// <summary>
/// One thin client's command as the master runs it: that client's standard descriptors (passed over
/// the socket), the variables it sent (its token among them) and the master's shared HTTP/2 connection.
/// Set for the flow of one call only (an <see cref="AsyncLocal{T}"/>), so the code of the direct path
/// (<see cref="StandardStreams"/>, the client options, the connection) reads this client's and no other's.
/// Outside a master nothing is set and the process's own descriptors and environment are used.
/// </summary>
internal sealed class RequestScope : IDisposable
{
    private static readonly AsyncLocal<RequestScope?> s_current = new();
    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
    private readonly int[] _fds;
    private readonly Func<string, string?> _variables;

    public RequestScope(int[] fds, IReadOnlyList<KeyValuePair<string, string>> environment, HttpMessageInvoker http)
    {
        _fds = fds;
        _variables = MuxArguments.Lookup(environment);
        Http = http;
        Input = new DescriptorStream(fds[0], readable: true);
        Output = new DescriptorStream(fds[1], readable: false);
        Error = new DescriptorStream(fds[2], readable: false);
        Out = TextWriter.Synchronized(new StreamWriter(Output, Utf8, 4096, leaveOpen: true) { AutoFlush = true });
        Err = TextWriter.Synchronized(new StreamWriter(Error, Utf8, 1024, leaveOpen: true) { AutoFlush = true });
    }

    /// <summary>The scope of the call running on this flow, or null outside a master.</summary>
    public static RequestScope? Current => s_current.Value;

    public DescriptorStream Input { get; }

    public DescriptorStream Output { get; }

    public DescriptorStream Error { get; }

    public TextWriter Out { get; }

    public TextWriter Err { get; }

    /// <summary>The client's standard input descriptor (as received by the master).</summary>
    public int InputDescriptor => _fds[0];

    /// <summary>The master's connection to the broker, shared by its calls (each call carries its own token).</summary>
    public HttpMessageInvoker Http { get; }

    /// <summary>An environment variable: the thin client's (of those it sends) inside a master, else the process's.</summary>
    public static string? Variable(string name) =>
        s_current.Value is { } scope ? scope._variables(name) : Environment.GetEnvironmentVariable(name);

    /// <summary>Makes this the scope of the current flow (the caller is an async method: the change ends when it returns).</summary>
    public void Enter() => s_current.Value = this;

    public void Dispose()
    {
        Out.Dispose();
        Err.Dispose();
        Input.Dispose();
        Output.Dispose();
        Error.Dispose();
        foreach (var fd in _fds)
        {
            _ = LibC.Close(fd);
        }
    }
}
