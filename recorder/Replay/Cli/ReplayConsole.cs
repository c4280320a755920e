using System.Threading.Channels;
using Recorder;

namespace Replay.Cli;

/// <summary>Where the tool writes and what it reads, so the commands run the same in a terminal and in tests.</summary>
internal sealed class ReplayConsole(Stream output, TextWriter error, Func<string, string?> environment, TimeProvider time)
{
    /// <summary>Standard output as bytes (playback and exports write raw bytes).</summary>
    public Stream Output { get; } = output;

    /// <summary>Standard error: one-line diagnostics.</summary>
    public TextWriter Error { get; } = error;

    public Func<string, string?> Environment { get; } = environment;

    public TimeProvider Time { get; } = time;

    /// <summary>The public key (a path or a PEM) to use when neither --public-key nor the environment names one: the broker's, when reading from a broker or its data directory.</summary>
    public string? DefaultPublicKey { get; set; }

    /// <summary>Starts reading keys for playback; returns null when there is no interactive terminal.</summary>
    public Func<ChannelReader<char>?> OpenKeys { get; init; } = () => null;

    public static ReplayConsole System()
    {
        var interactive = !Console.IsOutputRedirected && !Console.IsInputRedirected;
        return new ReplayConsole(Console.OpenStandardOutput(), Console.Error, global::System.Environment.GetEnvironmentVariable, TimeProvider.System)
        {
            OpenKeys = interactive ? ConsoleKeys.Start : () => null,
        };
    }

    /// <summary>Reports a failure in one line (its text may quote a file or a path, so it is neutralized) and returns the exit code.</summary>
    public int Fail(int exitCode, string message)
    {
        Error.WriteLine($"replay: {UntrustedText.Neutralize(message)}");
        return exitCode;
    }

    /// <summary>Reports something the user should know about in one neutralized line; the command goes on.</summary>
    public void Warn(string message) => Error.WriteLine($"replay: warning: {UntrustedText.Neutralize(message)}");

    /// <summary>
    /// Writes one line of text to <see cref="Output"/> as UTF-8. Callers neutralize the fields they
    /// put in it; the line is neutralized again (tabs kept) so that nothing unsafe can reach a
    /// terminal even through a field that was missed.
    /// </summary>
    public void WriteLine(string line)
    {
        Output.Write(global::System.Text.Encoding.UTF8.GetBytes(UntrustedText.Neutralize(line, keepTabs: true) + "\n"));
    }

    private static class ConsoleKeys
    {
        public static ChannelReader<char> Start()
        {
            var channel = Channel.CreateUnbounded<char>(new UnboundedChannelOptions { SingleReader = true });
            var thread = new Thread(() =>
            {
                while (true)
                {
                    var key = Console.ReadKey(intercept: true);
                    channel.Writer.TryWrite(key.KeyChar);
                }
            })
            {
                IsBackground = true,
                Name = "replay keys",
            };
            thread.Start();
            return channel.Reader;
        }
    }
}
