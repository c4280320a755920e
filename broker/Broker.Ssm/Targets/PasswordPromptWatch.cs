using System.Text;

namespace Broker.Ssm.Targets;

/// <summary>
/// Whether an SSM terminal is waiting at a password prompt, inferred from its output: the instance's terminal modes
/// (the ECHO flag a local PTY shows the broker) are not visible over the data channel. The terminal is taken to read a
/// secret while the last line it shows ends in a password-shaped prompt (<c>Password: </c>, <c>[sudo] password for
/// ann: </c>, <c>Enter passphrase for key '…': </c>) and nothing has been shown after it: a program that echoes what is
/// typed puts the echo after the prompt, which ends the inference at once; one that does not leaves the prompt last
/// until it has read the line and prints again. See docs/masking.md, "The input side", for what this cannot tell.
/// </summary>
internal sealed class PasswordPromptWatch
{
    // Only the end of the last line matters: a prompt is short, and a longer line is followed in its last part.
    private const int MaxLine = 256;

    // What a prompt asks for, in lower case; the short ones only as whole words ("pin:", not "spin:").
    private static readonly byte[][] s_words =
        [.. new[] { "password", "passwd", "passphrase", "pass phrase", "passcode", "passwort", "kennwort", "mot de passe", "contrase", "senha", "secret", "token", "verification code", "one-time code" }
            .Select(Encoding.ASCII.GetBytes)];

    private static readonly byte[][] s_wholeWords = [.. new[] { "pin", "otp" }.Select(Encoding.ASCII.GetBytes)];

    private readonly Lock _gate = new();
    private readonly byte[] _line = new byte[MaxLine];
    private int _length;
    private State _state;
    private bool _carriageReturn;
    private bool _prompt;

    private enum State
    {
        Ground,
        Escape,
        Csi,
        String,
        StringEscape,
    }

    /// <summary>Whether the terminal's last line is a password prompt with nothing shown after it.</summary>
    public bool AtPasswordPrompt
    {
        get
        {
            lock (_gate)
            {
                return _prompt;
            }
        }
    }

    /// <summary>Output the terminal shows, in order (as it arrives; split anywhere).</summary>
    public void Observe(ReadOnlySpan<byte> output)
    {
        if (output.IsEmpty)
        {
            return;
        }

        lock (_gate)
        {
            foreach (var b in output)
            {
                Step(b);
            }

            _prompt = IsPasswordPrompt(_line.AsSpan(0, _length));
        }
    }

    /// <summary>A line that ends in a colon (blanks after it allowed) and asks for a password, a passphrase, a PIN, a code or a token.</summary>
    internal static bool IsPasswordPrompt(ReadOnlySpan<byte> line)
    {
        line = line.TrimEnd((byte)' ');
        if (line.IsEmpty || line[^1] != (byte)':')
        {
            return false;
        }

        Span<byte> lower = stackalloc byte[line.Length];
        for (var i = 0; i < line.Length; i++)
        {
            lower[i] = line[i] is >= (byte)'A' and <= (byte)'Z' ? (byte)(line[i] + 32) : line[i];
        }

        foreach (var word in s_words)
        {
            if (lower.IndexOf(word) >= 0)
            {
                return true;
            }
        }

        foreach (var word in s_wholeWords)
        {
            var from = 0;
            while (lower[from..].IndexOf(word) is >= 0 and var at)
            {
                var start = from + at;
                var end = start + word.Length;
                if ((start == 0 || !IsLetter(lower[start - 1])) && (end == lower.Length || !IsLetter(lower[end])))
                {
                    return true;
                }

                from = start + 1;
            }
        }

        return false;
    }

    private static bool IsLetter(byte b) => b is >= (byte)'a' and <= (byte)'z';

    private void Step(byte b)
    {
        switch (_state)
        {
            case State.Escape:
                _state = b switch
                {
                    (byte)'[' => State.Csi,
                    (byte)']' or (byte)'P' or (byte)'X' or (byte)'^' or (byte)'_' => State.String,
                    _ => State.Ground,
                };
                return;
            case State.Csi:
                if (b is >= 0x40 and <= 0x7E)
                {
                    _state = State.Ground;
                }

                return;
            case State.String:
                _state = b == 0x07 ? State.Ground : b == 0x1B ? State.StringEscape : State.String;
                return;
            case State.StringEscape:
                _state = b == (byte)'\\' ? State.Ground : State.String;
                return;
        }

        switch (b)
        {
            case 0x1B:
                _state = State.Escape;
                break;
            case (byte)'\n':
                _length = 0;
                _carriageReturn = false;
                break;
            case (byte)'\r':
                // What is drawn next overwrites the line from its start (a line feed next starts a new one anyway).
                _carriageReturn = true;
                break;
            case 0x08:
                _length = Math.Max(0, _length - 1);
                break;
            case < 0x20 or 0x7F:
                break;
            default:
                if (_carriageReturn)
                {
                    _length = 0;
                    _carriageReturn = false;
                }

                if (_length == MaxLine)
                {
                    _line.AsSpan(MaxLine / 2).CopyTo(_line);
                    _length = MaxLine / 2;
                }

                _line[_length++] = b;
                break;
        }
    }
}
