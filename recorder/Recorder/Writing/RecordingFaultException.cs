namespace Recorder;

/// <summary>The recording can no longer be written; the session should end (fail closed).</summary>
public sealed class RecordingFaultException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RecordingFaultException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public RecordingFaultException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause, usually an <see cref="IOException"/>.</param>
    public RecordingFaultException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
