namespace Broker.Policy.Decisions;

/// <summary>
/// How a wrapper program (<c>env</c>, <c>sudo</c>, <c>timeout</c>, …) takes its own options before the command it runs.
/// Options not listed make the wrapper opaque: the engine then cannot tell which command runs and says so.
/// </summary>
internal sealed class WrapperSpec
{
    public string ShortWithValue { get; init; } = "";

    public string ShortFlags { get; init; } = "";

    /// <summary>Short options that mean the wrapper does not run a command (<c>command -v</c>).</summary>
    public string ShortNoCommand { get; init; } = "";

    public IReadOnlySet<string> LongWithValue { get; init; } = new HashSet<string>();

    public IReadOnlySet<string> LongFlags { get; init; } = new HashSet<string>();

    /// <summary>Accepts <c>NAME=value</c> before the command (<c>env</c>, <c>sudo</c>).</summary>
    public bool TakesAssignments { get; init; }

    /// <summary>Accepts <c>-N</c> as a number (<c>nice -10</c>).</summary>
    public bool TakesNumericOption { get; init; }

    /// <summary>Operands before the command (<c>timeout DURATION</c>).</summary>
    public int LeadingOperands { get; init; }

    /// <summary>The command gets arguments at run time that the policy cannot see (<c>xargs</c>).</summary>
    public bool SuppliesArguments { get; init; }

    public static IReadOnlyDictionary<string, WrapperSpec> All { get; } = new Dictionary<string, WrapperSpec>(StringComparer.Ordinal)
    {
        ["env"] = new()
        {
            ShortWithValue = "uC",
            ShortFlags = "i0v",
            LongWithValue = Set("--unset", "--chdir"),
            LongFlags = Set("--ignore-environment", "--null", "--debug", "--default-signal", "--ignore-signal", "--block-signal", "--list-signal-handling"),
            TakesAssignments = true,
        },
        ["sudo"] = new()
        {
            ShortWithValue = "ugCDhprtUTR",
            ShortFlags = "EHnSbkKPBA",
            LongWithValue = Set("--user", "--group", "--close-from", "--chdir", "--host", "--prompt", "--role", "--type", "--other-user", "--command-timeout", "--chroot"),
            LongFlags = Set("--preserve-env", "--set-home", "--non-interactive", "--stdin", "--background", "--reset-timestamp", "--remove-timestamp", "--preserve-groups", "--bell", "--askpass"),
            TakesAssignments = true,
        },
        ["doas"] = new() { ShortWithValue = "uC", ShortFlags = "ns" },
        ["timeout"] = new()
        {
            ShortWithValue = "sk",
            ShortFlags = "v",
            LongWithValue = Set("--signal", "--kill-after"),
            LongFlags = Set("--preserve-status", "--foreground", "--verbose"),
            LeadingOperands = 1,
        },
        ["nice"] = new() { ShortWithValue = "n", LongWithValue = Set("--adjustment"), TakesNumericOption = true },
        ["nohup"] = new(),
        ["setsid"] = new() { ShortFlags = "cfw", LongFlags = Set("--ctty", "--fork", "--wait") },
        ["stdbuf"] = new() { ShortWithValue = "ioe", LongWithValue = Set("--input", "--output", "--error") },
        ["command"] = new() { ShortFlags = "p", ShortNoCommand = "vV" },
        ["builtin"] = new(),
        ["exec"] = new() { ShortWithValue = "a", ShortFlags = "cl" },
        ["time"] = new()
        {
            ShortWithValue = "fo",
            ShortFlags = "pvaq",
            LongWithValue = Set("--format", "--output"),
            LongFlags = Set("--portability", "--verbose", "--append", "--quiet"),
        },
        ["xargs"] = new()
        {
            ShortWithValue = "adEILnPs",
            ShortFlags = "0oprtxeil",
            LongWithValue = Set("--arg-file", "--delimiter", "--max-lines", "--max-args", "--max-procs", "--max-chars", "--process-slot-var"),
            LongFlags = Set("--null", "--open-tty", "--interactive", "--no-run-if-empty", "--verbose", "--exit", "--eof", "--replace"),
            SuppliesArguments = true,
        },
        ["busybox"] = new(),
    };

    private static HashSet<string> Set(params string[] values) => new(values, StringComparer.Ordinal);
}
