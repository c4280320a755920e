using System.Diagnostics;
using System.Globalization;

namespace EndToEnd.Tests.Availability;

/// <summary>
/// Idle TCP connections to one port, as an attacker opens them: connected, never written to. They are held by
/// python3 processes of 10,000 connections each, so no process needs more descriptors than the host gives it. The
/// connections come from several loopback source addresses with the port picked at connect time
/// (<c>IP_BIND_ADDRESS_NO_PORT</c>), so the kernel may reuse local port numbers across sources and the flood takes
/// few of the ephemeral ports other programs on the host bind.
/// </summary>
internal sealed class IdleConnectionFlood : IAsyncDisposable
{
    private const int PerProcess = 10_000;

    // Connects, reports, then holds every socket until its stdin closes.
    private const string Script = """
        import socket, sys
        port, count, first = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
        held, refused = [], 0
        for n in range(count):
            s = socket.socket()
            s.settimeout(10)
            try:
                s.setsockopt(socket.SOL_IP, 24, 1)
                s.bind(("127.0.1.%d" % (first + n % 8), 0))
                s.connect(("127.0.0.1", port))
                held.append(s)
            except OSError:
                s.close()
                refused += 1
            if (n + 1) % 500 == 0 or n + 1 == count:
                print(len(held), refused, flush=True)
        sys.stdin.read()
        """;

    private readonly List<Holder> _holders = [];

    /// <summary>Whether python3 is on the PATH.</summary>
    public static string? Python => Environment.GetEnvironmentVariable("PATH")?.Split(':')
        .Select(dir => Path.Combine(dir, "python3")).FirstOrDefault(File.Exists);

    /// <summary>Connections opened so far (the server may have closed some since).</summary>
    public int Opened => _holders.Sum(h => h.Opened);

    /// <summary>Connections that failed to open (refused, reset or timed out).</summary>
    public int Refused => _holders.Sum(h => h.Refused);

    /// <summary>Starts opening <paramref name="count"/> connections to 127.0.0.1:<paramref name="port"/>; completes when all were tried.</summary>
    public Task OpenAsync(int port, int count)
    {
        for (var first = 0; first < count; first += PerProcess)
        {
            _holders.Add(new Holder(port, Math.Min(PerProcess, count - first), 1 + (8 * _holders.Count)));
        }

        return Task.WhenAll(_holders.Select(h => h.Tried));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var holder in _holders)
        {
            await holder.DisposeAsync();
        }
    }

    private sealed class Holder : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource _tried = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly int _count;
        private int _opened;
        private int _refused;

        public Holder(int port, int count, int firstSource)
        {
            _count = count;
            var info = new ProcessStartInfo(Python!) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "-c", Script, Text(port), Text(count), Text(firstSource) })
            {
                info.ArgumentList.Add(argument);
            }

            _process = Process.Start(info)!;
            _process.OutputDataReceived += (_, e) => Progress(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            _process.Exited += (_, _) => _tried.TrySetException(new InvalidOperationException("a flood process ended before it had tried every connection"));
            _process.EnableRaisingEvents = true;
        }

        public Task Tried => _tried.Task;

        public int Opened => Volatile.Read(ref _opened);

        public int Refused => Volatile.Read(ref _refused);

        private void Progress(string? line)
        {
            if (line?.Split(' ') is not [var opened, var refused])
            {
                return;
            }

            Volatile.Write(ref _opened, int.Parse(opened, CultureInfo.InvariantCulture));
            Volatile.Write(ref _refused, int.Parse(refused, CultureInfo.InvariantCulture));
            if (Opened + Refused >= _count)
            {
                _tried.TrySetResult();
            }
        }

        public async ValueTask DisposeAsync()
        {
            // Closing stdin lets it exit and close every socket; a kill if it does not.
            _process.StandardInput.Close();
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await _process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync(CancellationToken.None);
            }

            _process.Dispose();
        }

        private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
