namespace Broker.Core.Interactive;

/// <summary>Which point of the prompt cycle a marker reports.</summary>
public enum ShellMarkerKind
{
    /// <summary>The previous command is over; the shell waits for the sync line before printing its prompt (OSC 133 <c>A</c>).</summary>
    PromptStart,

    /// <summary>The prompt is printed and the shell reads a command line (<c>B</c>).</summary>
    PromptEnd,

    /// <summary>The shell read a command and is about to run it (<c>C</c>).</summary>
    CommandStart,
}

/// <summary>A prompt marker seen in the shell's output; <paramref name="ExitStatus"/> comes with <see cref="ShellMarkerKind.PromptStart"/>.</summary>
public readonly record struct ShellMarker(ShellMarkerKind Kind, int? ExitStatus);
