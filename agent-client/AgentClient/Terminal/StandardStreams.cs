using System.Text;

namespace AgentClient.Terminal;

/// <summary>
/// The process's standard input, output and error as raw descriptor streams, and text writers
/// over output and error for the client's own messages (see <see cref="LibC"/> for why not
/// System.Console).
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
    public static DescriptorStream Input => s_input.Value;

    /// <summary>Descriptor 1.</summary>
    public static DescriptorStream Output => s_output.Value;

    /// <summary>Descriptor 2.</summary>
    public static DescriptorStream Error => s_error.Value;

    /// <summary>Text to standard output (tables, help).</summary>
    public static TextWriter Out => s_out.Value;

    /// <summary>Text to standard error (the client's own messages).</summary>
    public static TextWriter Err => s_err.Value;

    /// <summary>Whether standard input is a terminal.</summary>
    public static bool InputIsTerminal => LibC.IsATty(LibC.StandardInput) == 1;
}
