namespace Recorder;

/// <summary>The stream is not a recording this library can read.</summary>
public sealed class RecordingFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RecordingFormatException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public RecordingFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public RecordingFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
