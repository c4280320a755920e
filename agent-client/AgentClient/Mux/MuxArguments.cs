namespace AgentClient.Mux;

/// <summary>
/// What the thin client reads from its own command line before anything else runs: whether the
/// command is <c>exec</c>, which broker (and TLS files) it names, and the argv to hand over with
/// relative file paths made absolute (the master has its own working directory). No System.CommandLine:
/// the master parses the argv exactly as the direct path would, so messages and exit codes are the same.
/// </summary>
internal static class MuxArguments
{
    /// <summary>The variables the command reads; the thin client sends those it has, and nothing else of its environment.</summary>
    public static readonly string[] Variables = ["BROKER_URL", "BROKER_TOKEN", "BROKER_CA_FILE", "BROKER_CLIENT_CERT", "BROKER_CLIENT_KEY"];

    private const string DefaultBroker = "http://127.0.0.1:7443";
    private static readonly string[] FileOptions = ["--token-file", "--ca-file", "--client-cert", "--client-key"];
    private static readonly string[] ValueOptions = ["--broker", "--token", .. FileOptions];
    private static readonly string[] FileVariables = ["BROKER_CA_FILE", "BROKER_CLIENT_CERT", "BROKER_CLIENT_KEY"];

    /// <summary>
    /// The request for an <c>exec</c> command line, or null for any other command (or one this scan
    /// cannot read: the direct path then reports it).
    /// </summary>
    public static MuxRequest? Read(string[] args, Func<string, string?> variable)
    {
        var argv = new string[args.Length];
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var exec = false;
        var i = 0;
        for (; i < args.Length && args[i] != "--"; i++)
        {
            argv[i] = args[i];
            if (Option(args[i]) is { } option)
            {
                var (name, inline) = option;
                if (inline is null && i + 1 >= args.Length)
                {
                    return null;
                }

                var value = inline ?? args[++i];
                var given = Array.IndexOf(FileOptions, name) >= 0 ? Path.GetFullPath(value) : value;
                values[name] = given;
                if (inline is null)
                {
                    argv[i] = given;
                }
                else
                {
                    argv[i] = $"{name}{args[i][name.Length]}{given}";
                }
            }
            else if (!exec)
            {
                if (args[i] != "exec")
                {
                    return null;
                }

                exec = true;
            }
        }

        if (!exec)
        {
            return null;
        }

        Array.Copy(args, i, argv, i, args.Length - i);
        var environment = new List<KeyValuePair<string, string>>();
        foreach (var name in Variables)
        {
            if (variable(name) is { } value)
            {
                environment.Add(new(name, Array.IndexOf(FileVariables, name) >= 0 && value.Length > 0 ? Path.GetFullPath(value) : value));
            }
        }

        return new MuxRequest(Key(values.GetValueOrDefault("--broker"), values.GetValueOrDefault("--ca-file"), values.GetValueOrDefault("--client-cert"), values.GetValueOrDefault("--client-key"), Lookup(environment)), argv, environment);
    }

    /// <summary>
    /// Which master serves a command: the broker URL and the TLS files, as given or from the
    /// environment (file paths absolute). The master computes its own the same way and serves only its own.
    /// </summary>
    public static string Key(string? broker, string? caFile, string? clientCert, string? clientKey, Func<string, string?> variable)
    {
        static string File(string? given, string? fromEnvironment) =>
            given ?? (string.IsNullOrEmpty(fromEnvironment) ? string.Empty : Path.GetFullPath(fromEnvironment));

        return string.Join('\n',
            broker ?? variable("BROKER_URL") ?? DefaultBroker,
            File(caFile, variable("BROKER_CA_FILE")),
            File(clientCert, variable("BROKER_CLIENT_CERT")),
            File(clientKey, variable("BROKER_CLIENT_KEY")));
    }

    /// <summary>The options that choose a master (broker and TLS files, file paths absolute) as given before <c>--</c>: never the token.</summary>
    public static IEnumerable<string> MasterOptions(string[] args)
    {
        for (var i = 0; i < args.Length && args[i] != "--"; i++)
        {
            if (Option(args[i]) is not var (name, inline) || name is "--token" or "--token-file")
            {
                continue;
            }

            if (inline is null && ++i >= args.Length)
            {
                yield break;
            }

            var value = inline ?? args[i];
            yield return name;
            yield return name == "--broker" ? value : Path.GetFullPath(value);
        }
    }

    /// <summary>Reads variables from a request's environment.</summary>
    public static Func<string, string?> Lookup(IReadOnlyList<KeyValuePair<string, string>> environment) =>
        name => environment.FirstOrDefault(pair => pair.Key == name).Value;

    /// <summary>A global option with a value (<c>--broker URL</c>, <c>--broker=URL</c>, <c>--broker:URL</c>): its name and the inline value if any.</summary>
    private static (string Name, string? Inline)? Option(string arg)
    {
        foreach (var name in ValueOptions)
        {
            if (arg == name)
            {
                return (name, null);
            }

            if (arg.Length > name.Length && arg.StartsWith(name, StringComparison.Ordinal) && arg[name.Length] is '=' or ':')
            {
                return (name, arg[(name.Length + 1)..]);
            }
        }

        return null;
    }
}
