using System.Text;

namespace Broker.DevServices.Ssm.Agent;

/// <summary>
/// Splits a command line into words as the agent does for NonInteractiveCommands (a POSIX-like
/// splitter: blanks separate words, single quotes are literal, double quotes allow backslash
/// escapes, a backslash outside quotes escapes the next character, <c>#</c> at the start of a word
/// starts a comment). Null when the line is malformed (an unclosed quote or a trailing backslash).
/// </summary>
internal static class Shlex
{
    public static IReadOnlyList<string>? Split(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }

                continue;
            }

            if (c == '#' && !inWord)
            {
                break;
            }

            inWord = true;
            switch (c)
            {
                case '\\':
                    if (++i == line.Length)
                    {
                        return null;
                    }

                    word.Append(line[i]);
                    break;
                case '\'':
                    var close = line.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        return null;
                    }

                    word.Append(line, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    for (i++; ; i++)
                    {
                        if (i == line.Length)
                        {
                            return null;
                        }

                        if (line[i] == '"')
                        {
                            break;
                        }

                        if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\' or '$' or '`')
                        {
                            i++;
                        }

                        word.Append(line[i]);
                    }

                    break;
                default:
                    word.Append(c);
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }
}
