using System.CommandLine;
using System.Globalization;
using Recorder;

namespace Replay.Cli;

/// <summary>
/// <c>--max-decompressed SIZE</c> on the commands that read events: how many bytes of records a
/// recording may decompress to before reading stops with a warning. Memory stays bounded either way;
/// this bounds the time a small crafted file can take (a 1 MB file can claim many gigabytes).
/// </summary>
internal static class ReadBudgetOption
{
    /// <summary>The default budget, 64 GiB: more than any session the broker records in practice.</summary>
    public const long DefaultBytes = 64L * 1024 * 1024 * 1024;

    public static Option<string?> Create() => new("--max-decompressed")
    {
        Description = "Stop reading a recording after this many bytes of decompressed records (e.g. 500M, 64G; default 64G).",
    };

    /// <summary>
    /// Sets the loader's budget from the option; false (after reporting) when the value is not a size.
    /// Every command consumes each event before reading the next, so data is not copied out of the reader.
    /// </summary>
    public static bool TryApply(ParseResult parse, Option<string?> option, RecordingLoader loader, ReplayConsole console)
    {
        var text = parse.GetValue(option);
        if (text is null)
        {
            loader.ReaderOptions = new RecordingReaderOptions { MaxDecompressedBytes = DefaultBytes, ShareDataBuffers = true };
            return true;
        }

        if (!TryParseSize(text, out var bytes))
        {
            console.Fail(ExitCodes.Usage, $"--max-decompressed: '{text}' is not a size (a number of bytes, or with K, M, G or T)");
            return false;
        }

        loader.ReaderOptions = new RecordingReaderOptions { MaxDecompressedBytes = bytes, ShareDataBuffers = true };
        return true;
    }

    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        text = text.Trim();
        var unit = text.Length > 0 ? char.ToUpperInvariant(text[^1]) : ' ';
        var shift = unit switch
        {
            'K' => 10,
            'M' => 20,
            'G' => 30,
            'T' => 40,
            _ => 0,
        };
        var number = shift == 0 ? text : text[..^1];
        if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value <= 0 || value > long.MaxValue >> shift)
        {
            return false;
        }

        bytes = value << shift;
        return true;
    }
}
