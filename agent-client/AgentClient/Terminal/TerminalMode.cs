namespace AgentClient.Terminal;

/// <summary>How the client sets up the local terminal for a session.</summary>
internal enum TerminalMode
{
    /// <summary>
    /// cfmakeraw: no echo, no line editing, no signals from Ctrl-C/Ctrl-Z/Ctrl-\, no output
    /// processing. Every key is a byte for the remote side, as soon as it is typed.
    /// </summary>
    Raw,

    /// <summary>
    /// For watching a session: keys are not echoed and are handed over at once (to be discarded),
    /// while Ctrl-C still interrupts the client and output keeps its newline translation.
    /// </summary>
    Watch,
}
