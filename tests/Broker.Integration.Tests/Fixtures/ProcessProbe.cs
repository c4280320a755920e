namespace Broker.Integration.Tests.Fixtures;

/// <summary>Checks processes by pid through /proc (zombies count as gone: they hold nothing).</summary>
public static class ProcessProbe
{
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not "Z" and not "X";
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static async Task WaitGoneAsync(int pid, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (IsAlive(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"process {pid} is still alive");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Open descriptors of this process (to catch leaks).</summary>
    public static int OpenDescriptorCount() => Directory.GetFiles("/proc/self/fd").Length;
}
