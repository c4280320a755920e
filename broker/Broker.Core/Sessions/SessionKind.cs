namespace Broker.Core.Sessions;

/// <summary>The shape of a session.</summary>
public enum SessionKind
{
    /// <summary>A terminal.</summary>
    Interactive,

    /// <summary>One command.</summary>
    Exec,
}
