namespace Broker.Policy.Decisions;

/// <summary>
/// Variables that change what runs or how, for bash itself or for the programs it starts: assigning one never passes,
/// whatever a role allows (as a shell variable, an environment assignment, a loop variable, <c>read</c>, <c>printf -v</c>).
/// </summary>
internal static class ShellVariables
{
    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        // bash: what runs, how words are split and matched, what is read at start-up, prompts and traces
        "PATH", "IFS", "BASH_ENV", "ENV", "PS0", "PS1", "PS2", "PS3", "PS4", "PROMPT_COMMAND", "HISTFILE", "HISTCONTROL",
        "HISTIGNORE", "HISTFILESIZE", "HISTSIZE", "CDPATH", "GLOBIGNORE", "GLOBSORT", "SHELLOPTS", "BASHOPTS", "BASH_XTRACEFD",
        "EXECIGNORE", "FIGNORE", "FUNCNEST", "HOSTFILE", "INPUTRC", "MAIL", "MAILPATH", "MAILCHECK", "TMOUT", "BASH_COMPAT",
        "BASH_ARGV0", "BASH_CMDS", "BASH_ALIASES", "BASH_LOADABLES_PATH", "POSIXLY_CORRECT", "OPTIND", "COMP_WORDBREAKS",
        "PROMPT_DIRTRIM", "TIMEFORMAT", "READLINE_LINE", "READLINE_POINT", "SHELL", "TERM", "TERMINFO", "TERMCAP",
        // where things are
        "HOME", "PWD", "OLDPWD", "TMPDIR", "USER", "LOGNAME",
        // programs that start other programs or load code from the environment
        "PAGER", "MANPAGER", "GIT_PAGER", "AWS_PAGER", "SYSTEMD_PAGER", "EDITOR", "VISUAL", "GIT_EDITOR", "BROWSER",
        "LESSOPEN", "LESSCLOSE", "LESS", "LESSKEY", "MANOPT", "GREP_OPTIONS", "TAR_OPTIONS", "GZIP", "BZIP2", "XZ_OPT",
        "ZSTD_CLEVEL", "GCONV_PATH", "LOCPATH", "NLSPATH", "HOSTALIASES", "RESOLV_HOST_CONF", "MALLOC_CHECK_",
        "NODE_OPTIONS", "NODE_PATH", "PERL5LIB", "PERL5OPT", "PERLLIB", "RUBYOPT", "RUBYLIB", "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE", "SSH_ASKPASS", "SUDO_ASKPASS", "DISPLAY", "XAUTHORITY", "KRB5CCNAME",
        "GOFLAGS", "GOPROXY", "GOPATH", "GOROOT", "GOBIN", "GOTOOLCHAIN", "KUBECONFIG", "RUSTFLAGS", "BROKER_AGENT",
    };

    // Whole families: dynamic loader, locale, bash functions, git, AWS, Python, .NET, proxies, XDG config.
    private static readonly string[] Prefixes =
    [
        "LD_", "LC_", "BASH_FUNC_", "BASH_", "GIT_", "AWS_", "PYTHON", "DOTNET_", "COREHOST_", "XDG_", "NPM_CONFIG_", "npm_config_",
        "PIP_", "CARGO_", "RUSTC", "DOCKER_", "SSH_", "GNUPG", "GPG_",
    ];

    public static bool IsProtected(string name)
    {
        if (Names.Contains(name) || name.EndsWith("_proxy", StringComparison.OrdinalIgnoreCase) || name.Equals("LANG", StringComparison.Ordinal)
            || name.Equals("LANGUAGE", StringComparison.Ordinal))
        {
            return true;
        }

        foreach (var prefix in Prefixes)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
