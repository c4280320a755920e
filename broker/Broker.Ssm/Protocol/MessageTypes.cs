namespace Broker.Ssm.Protocol;

/// <summary>The <c>MessageType</c> values of the Session Manager data channel.</summary>
public static class MessageTypes
{
    /// <summary>Client to agent: keystrokes, terminal size, handshake answers.</summary>
    public const string InputStreamData = "input_stream_data";

    /// <summary>Agent to client: output, handshake requests, exit codes.</summary>
    public const string OutputStreamData = "output_stream_data";

    /// <summary>Both ways: a data message arrived.</summary>
    public const string Acknowledge = "acknowledge";

    /// <summary>Service to client: the session is over.</summary>
    public const string ChannelClosed = "channel_closed";

    /// <summary>Service to both: the other side is reachable again.</summary>
    public const string StartPublication = "start_publication";

    /// <summary>Service to both: the other side is not reachable; stop sending.</summary>
    public const string PausePublication = "pause_publication";

    /// <summary>Agent to service: the agent's view of the session (clients ignore it).</summary>
    public const string AgentSessionState = "agent_session_state";
}
