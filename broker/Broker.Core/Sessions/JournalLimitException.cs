namespace Broker.Core.Sessions;

/// <summary>
/// The journal reached a limit it enforces (its size cap, the free-space floor of its storage). Unlike a
/// fault, nothing is lost: the session ends with <see cref="SessionEndReason.RecordingLimit"/>, its
/// program is stopped and no more output is read, and the journal is sealed.
/// </summary>
public sealed class JournalLimitException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JournalLimitException()
    {
    }

    /// <summary>Creates the exception with the reason the client is shown.</summary>
    /// <param name="message">Which limit, and its value.</param>
    public JournalLimitException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and a cause.</summary>
    /// <param name="message">Which limit, and its value.</param>
    /// <param name="innerException">The cause.</param>
    public JournalLimitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
