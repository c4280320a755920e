using System.Diagnostics;
using AgentClient.Cli;

namespace AgentClient.Mux;

/// <summary>The full client's part of the thin path: starting a master in auto mode, and reporting a failure the usual way.</summary>
internal static partial class MuxClient
{
    /// <summary>
    /// Auto mode: starts a master for this broker in the background (it detaches, and one that finds
    /// another already serving exits). The master gets the broker and TLS options, never the token.
    /// </summary>
    public static void StartMaster(string[] args)
    {
        if (Environment.ProcessPath is not { } self)
        {
            return;
        }

        var info = new ProcessStartInfo(self)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in MuxArguments.MasterOptions(args))
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add("mux");
        info.ArgumentList.Add("start");
        info.ArgumentList.Add("--background");
        if (Environment.GetEnvironmentVariable("AGENT_CLIENT_MUX_PERSIST") is { Length: > 0 } persist)
        {
            info.ArgumentList.Add("--persist");
            info.ArgumentList.Add(persist);
        }

        info.Environment.Remove("BROKER_TOKEN");
        try
        {
            Process.Start(info)?.Dispose();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No master this time; the command itself runs directly either way.
        }
    }

    private static partial int ReportFailure(string message) => ExitCodes.Report(ExitCodes.Failed, message);
}
