using System.Threading.Channels;

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

    public int Fail(int exitCode, string message)
    {
        Error.WriteLine($"replay: {message}");
        return exitCode;
    }

    /// <summary>Writes text to <see cref="Output"/> as UTF-8.</summary>
    public void WriteLine(string line)
    {
        Output.Write(global::System.Text.Encoding.UTF8.GetBytes(line + "\n"));
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
