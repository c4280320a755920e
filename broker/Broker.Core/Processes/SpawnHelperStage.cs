namespace Broker.Core.Processes;

/// <summary>Where a start (or an account's cleaning) failed in the spawn helper; the numbers are the helper's.</summary>
internal enum SpawnHelperStage
{
    /// <summary>Nothing failed.</summary>
    None = 0,
    Protocol = 1,
    Cgroup = 2,
    Clone = 3,
    CgroupMove = 4,
    Signals = 5,
    Setsid = 6,
    Terminal = 7,
    Stdio = 8,
    Script = 9,
    Groups = 10,
    Gid = 11,
    Uid = 12,
    Capabilities = 13,
    NoNewPrivileges = 14,
    Seccomp = 15,
    WorkingDirectory = 16,
    CloseDescriptors = 17,
    Exec = 18,
    Timeout = 19,
    Kill = 20,
    Home = 21,
    Sweep = 22,
}

/// <summary>Words for the stages, for error messages.</summary>
internal static class SpawnHelperStages
{
    public static string Describe(SpawnHelperStage stage) => stage switch
    {
        SpawnHelperStage.Protocol => "the spawn helper did not understand the request",
        SpawnHelperStage.Cgroup => "cannot open the session's cgroup",
        SpawnHelperStage.Clone => "cannot create the process",
        SpawnHelperStage.CgroupMove => "cannot move the process into the session's cgroup",
        SpawnHelperStage.Signals => "cannot reset signal handling",
        SpawnHelperStage.Setsid => "cannot start a new session",
        SpawnHelperStage.Terminal => "cannot take the terminal as controlling terminal",
        SpawnHelperStage.Stdio => "cannot set up standard input and output",
        SpawnHelperStage.Script => "cannot pass the start-up script",
        SpawnHelperStage.Groups => "cannot drop supplementary groups",
        SpawnHelperStage.Gid => "cannot switch to the account's group",
        SpawnHelperStage.Uid => "cannot switch to the account",
        SpawnHelperStage.Capabilities => "cannot drop capabilities",
        SpawnHelperStage.NoNewPrivileges => "cannot set no_new_privs",
        SpawnHelperStage.Seccomp => "cannot install the filter that refuses TIOCSTI",
        SpawnHelperStage.WorkingDirectory => "cannot enter the working directory",
        SpawnHelperStage.CloseDescriptors => "cannot close inherited descriptors",
        SpawnHelperStage.Exec => "cannot execute",
        SpawnHelperStage.Timeout => "the process did not reach exec in time",
        SpawnHelperStage.Kill => "cannot kill the account's processes",
        SpawnHelperStage.Home => "cannot empty the account's home directory",
        SpawnHelperStage.Sweep => "cannot remove all of the account's files in shared places",
        _ => $"stage {(int)stage}",
    };
}
