using System.Text.Encodings.Web;
using System.Text.Json;

namespace Recorder.Format;

/// <summary>JSON settings shared by every JSON payload the format and the exporters write.</summary>
internal static class JsonText
{
    /// <summary>
    /// Non-ASCII text is written as UTF-8 rather than \u escapes (smaller, readable); control
    /// characters and quotes are still escaped, which is all JSON requires.
    /// </summary>
    public static JsonWriterOptions WriterOptions { get; } = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };
}
