using System.Text;
using AgentClient.Mux;

namespace AgentClient.Terminal;

/// <summary>
/// The process's standard input, output and error as raw descriptor streams, and text writers
/// over output and error for the client's own messages (see <see cref="LibC"/> for why not
/// System.Console). Inside a multiplexer master they are the descriptors of the thin client whose
/// command runs (<see cref="RequestScope"/>).
/// </summary>
internal static class StandardStreams
{
    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
    private static readonly Lazy<DescriptorStream> s_input = new(() => new DescriptorStream(LibC.StandardInput, readable: true));
    private static readonly Lazy<DescriptorStream> s_output = new(() => new DescriptorStream(LibC.StandardOutput, readable: false));
    private static readonly Lazy<DescriptorStream> s_error = new(() => new DescriptorStream(LibC.StandardError, readable: false));
    private static readonly Lazy<TextWriter> s_out = new(() => TextWriter.Synchronized(new StreamWriter(s_output.Value, Utf8, 4096, leaveOpen: true) { AutoFlush = true }));
    private static readonly Lazy<TextWriter> s_err = new(() => TextWriter.Synchronized(new StreamWriter(s_error.Value, Utf8, 1024, leaveOpen: true) { AutoFlush = true }));

    /// <summary>Descriptor 0.</summary>
    public static DescriptorStream Input => RequestScope.Current?.Input ?? s_input.Value;

    /// <summary>Descriptor 1.</summary>
    public static DescriptorStream Output => RequestScope.Current?.Output ?? s_output.Value;

    /// <summary>Descriptor 2.</summary>
    public static DescriptorStream Error => RequestScope.Current?.Error ?? s_error.Value;

    /// <summary>Text to standard output (tables, help).</summary>
    public static TextWriter Out => RequestScope.Current?.Out ?? s_out.Value;

    /// <summary>Text to standard error (the client's own messages).</summary>
    public static TextWriter Err => RequestScope.Current?.Err ?? s_err.Value;

    /// <summary>Whether standard input is a terminal.</summary>
    public static bool InputIsTerminal => LibC.IsATty(RequestScope.Current?.InputDescriptor ?? LibC.StandardInput) == 1;
}
