using System.Buffers;

namespace AgentClient.Terminal;

/// <summary>What the user asked the client itself to do with an escape sequence.</summary>
internal enum EscapeCommand
{
    /// <summary>Nothing: the keys go to the session.</summary>
    None,

    /// <summary><c>~.</c>: end the session and exit.</summary>
    Disconnect,

    /// <summary><c>~^Z</c>: stop the client, as Ctrl-Z would in a local shell.</summary>
    Suspend,

    /// <summary><c>~?</c>: list the escape sequences.</summary>
    Help,
}

/// <summary>
/// The client's escape sequences, after ssh's: the escape character (<c>~</c> by default) typed
/// first on a line (at the start of the session, or right after Enter) is held back, and the next
/// key says what to do: <c>.</c> ends the session, Ctrl-Z suspends the client, <c>?</c> lists the
/// sequences, and the escape character again sends it once. Any other key sends both. A pure state
/// machine over the typed bytes.
/// </summary>
internal sealed class EscapeSequence
{
    private const byte Suspend = 0x1A;

    private readonly byte _escape;
    private bool _lineStart = true;
    private bool _pending;

    public EscapeSequence(byte escapeCharacter) => _escape = escapeCharacter;

    /// <summary>The text <c>~?</c> shows.</summary>
    public string Help
    {
        get
        {
            var e = (char)_escape;
            return $"Escape sequences (after Enter): {e}. end the session; {e}^Z suspend agent-client; {e}? this list; {e}{e} send {e}.";
        }
    }

    /// <summary>
    /// Passes <paramref name="keys"/> through, writing the bytes meant for the session to
    /// <paramref name="forward"/>, up to the first escape command. Returns the command (or
    /// <see cref="EscapeCommand.None"/>) and how many keys were consumed; call again with the rest.
    /// </summary>
    public (EscapeCommand Command, int Consumed) Process(ReadOnlySpan<byte> keys, IBufferWriter<byte> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        for (var i = 0; i < keys.Length; i++)
        {
            var key = keys[i];
            if (_pending)
            {
                _pending = false;
                var command = key switch
                {
                    (byte)'.' => EscapeCommand.Disconnect,
                    Suspend => EscapeCommand.Suspend,
                    (byte)'?' => EscapeCommand.Help,
                    _ => EscapeCommand.None,
                };
                if (command != EscapeCommand.None)
                {
                    // Still at the start of a line: another escape may follow.
                    return (command, i + 1);
                }

                if (key == _escape)
                {
                    Write(forward, key);
                    _lineStart = false;
                    continue;
                }

                Write(forward, _escape);
            }
            else if (_lineStart && key == _escape)
            {
                _pending = true;
                continue;
            }

            Write(forward, key);
            _lineStart = key is (byte)'\r' or (byte)'\n';
        }

        return (EscapeCommand.None, keys.Length);
    }

    private static void Write(IBufferWriter<byte> forward, byte key)
    {
        forward.GetSpan(1)[0] = key;
        forward.Advance(1);
    }
}
