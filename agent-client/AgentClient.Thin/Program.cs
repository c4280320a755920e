using AgentClient;
using AgentClient.Mux;

// The whole of the thin executable: hand a repeated exec to this user's master, else become the full client.
if (MuxClient.TryRun(args, startMaster: null) is { } served)
{
    return served;
}

return FullClient.Exec(args);
