using System.Diagnostics;
using System.Text;
using Broker.Policy.Commands;
using Broker.Policy.Patterns;

namespace Broker.Policy.Tests;

/// <summary>
/// bash itself as the oracle: each case runs in a real bash, in a throwaway directory holding crafted file names
/// (<c>-rf</c>, <c>a b.c</c>, <c>--compress-program=x</c>, a dot file, <c>[a]</c>), with every program replaced by a
/// recorder (builtins such as echo, printf and test disabled so they are recorded too). What bash ran (each program
/// and its argv) and what it created must be what the parser claims: a unit for the program whose words may be those
/// arguments, and a redirection or write for every file; or the parser said it cannot know (an evaluation context,
/// a dynamic program), which the policy denies. The run is sandboxed: no network, an unprivileged user, no real
/// program on PATH.
/// </summary>
public sealed class BashOracleTests
{
    private static readonly string[] Recorded =
    [
        "ls", "cat", "rm", "touch", "sort", "echo", "printf", "test", "[", "wc", "grep", "head", "id", "true", "false",
        "date", "uniq", "file", "nohup", "env", "nice", "timeout", "xargs", "stat", "du", "find",
    ];

    private static readonly string[] CraftedFiles = ["-rf", "a b.c", "x.c", "y.c", ".hidden.c", "--compress-program=x", "[a]", "a", "src/main.c", "src/util.c"];

    public static TheoryData<string> Cases => new()
    {
        "ls *.c",
        "ls -- *",
        "echo *",
        "cat src/*.c",
        "rm -- *.c",
        "sort *.c",
        "ls .*.c",
        "ls [a]",
        "ls '[a]' \\[a\\]",
        "cat /x/.ss[h' ']/id_rsa",
        "cat x[.\\ ]c",
        "ls {X}>/dev/null",
        "echo {a,b}{1,2} x{1..3}",
        "ls src/{main,util}.c",
        "echo $'a\\tb' \"$HOME\" ~ ~/x",
        "echo $((1+2)) $[3*4] ${#HOME}",
        "x=README; echo \"$x\" $x",
        "for f in *.c; do wc -l \"$f\"; done",
        "for f in a b; do echo $f; done",
        "for ((i=0; i<2; i++)); do echo $i; done",
        "for i in 1 2; do [ $i -lt 2 ] && echo $((i+1)); done",
        "n=0; until [ -n x ]; do n=$((n+1)); done; echo $n",
        "case x.c in *.c) echo c ;; *) echo other ;; esac",
        "if test -f x.c; then cat x.c; else echo no; fi",
        "[[ -f x.c && $HOME == /* ]] && echo yes",
        "echo \"$(id -u)\" `date +%s`",
        "cat <(echo a) <(sort x.c)",
        "echo hi > out.txt; cat < out.txt",
        "echo a >> log.txt 2>&1",
        "cat <<EOF\n$(echo inside)\nEOF",
        "wc -l <<< \"$(echo x)\"",
        "printf -v 'a[$(touch F)]' x",
        "read 'a[$(touch G)]' <<< x",
        "test -v 'a[$(touch H)]'",
        "x='a[$(touch I)]'; echo $((x))",
        "x='a[$(touch J)]'; [[ x -eq 1 ]]",
        "x='$(touch K)'; echo ${x@P}",
        "y=abc; x='a[$(touch L)]'; echo ${y:x}",
        "ls {a[$(touch M)]}>/dev/null",
        "mapfile -C 'touch N' -c 1 a <<< x",
        "env nohup echo hi",
        "nice -n 1 echo hi",
        "timeout 5 echo hi",
        "echo x.c | xargs wc -l",
        "time -p echo timed",
        "ls | sort | head -1",
        "true && echo and || echo or",
        "{ echo grouped; } > grouped.txt",
        "(echo sub) 2>/dev/null",
        "echo \"${HOME:-$(echo default)}\"",
        "f() { echo fn; }; f",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void What_bash_runs_and_writes_is_what_the_parser_claims(string script)
    {
        var parsed = ShellParser.Parse(script);
        parsed.Succeeded.Should().BeTrue(parsed.Error);
        var analysis = new PolicyEngine(DevPolicy.Document).Analyze(CommandInput.Script(script).In(CommandContext.Unknown));
        var unknowable = analysis.Facts.Constructs.Any(c => c.Name is ConstructNames.EvaluationContext or ConstructNames.DynamicProgram or ConstructNames.FunctionDefinition);

        var (invocations, created) = RunInBash(script);
        foreach (var argv in invocations)
        {
            var claimed = unknowable || analysis.Units.Any(u => Explains(u, argv));
            claimed.Should().BeTrue($"bash ran [{string.Join(", ", argv)}] for {script}, which the parser does not claim");
        }

        foreach (var file in created)
        {
            var written = analysis.Units.Any(u => u.Redirects.Any(r => r.WritesFile && Matches(r.Target, file))
                || u.Wrappers.Append(u.Target).Any(c => c.Interpretation.Effects.Any(e => e.Kind == Catalog.ArgumentKind.Writes && e.Target is { } t && Matches(t, file))));
            (written || unknowable).Should().BeTrue($"bash created '{file}' for {script}, which the parser does not claim as written");
        }
    }

    [Fact]
    public void The_oracle_sees_what_bash_runs_and_creates()
    {
        var (invocations, created) = RunInBash("ls -l *.c > listing.txt");
        invocations.Should().ContainSingle().Which.Should().Equal("ls", "-l", "a b.c", "x.c", "y.c");
        created.Should().Equal("listing.txt");
    }

    /// <summary>
    /// Whether the parser's unit may have run this argv: a wrapper of the unit (or its program) with the words that
    /// follow it (the wrapper's own, then the wrapped program and its words).
    /// </summary>
    private static bool Explains(Decisions.CommandUnit unit, List<string> argv)
    {
        var chain = unit.Wrappers.Append(unit.Target).ToList();
        for (var i = 0; i < chain.Count; i++)
        {
            if (chain[i].Program != argv[0])
            {
                continue;
            }

            var words = new List<ShellWord>(chain[i].Words);
            for (var j = i + 1; j < chain.Count; j++)
            {
                words.Add(new ShellWord(chain[j].ProgramWord, true));
                words.AddRange(chain[j].Words);
            }

            if (WordsMatch(words, 0, argv, 1, unit.Target.HasHiddenArguments))
            {
                return true;
            }
        }

        return false;
    }

    private static bool WordsMatch(IReadOnlyList<ShellWord> words, int w, List<string> argv, int a, bool hidden)
    {
        if (w == words.Count)
        {
            return a == argv.Count || hidden;
        }

        var word = words[w];
        if (!word.MaySplit)
        {
            return a < argv.Count && Matches(word, argv[a]) && WordsMatch(words, w + 1, argv, a + 1, hidden);
        }

        // A word that may split or glob stands for any number of arguments, each one of its values (or a piece of one).
        for (var end = a; end <= argv.Count; end++)
        {
            if (WordsMatch(words, w + 1, argv, end, hidden))
            {
                return true;
            }

            if (end < argv.Count && !MatchesPiece(word, argv[end]))
            {
                return false;
            }
        }

        return false;
    }

    private static bool Matches(ShellWord word, string value) =>
        word.IsLiteral ? word.Value == value : PatternIntersection.Matches(word.Pattern.Replace(TextPattern.Home, TextPattern.AnyText), value);

    // A piece of a split word is any part of one of its values.
    private static bool MatchesPiece(ShellWord word, string value) =>
        Matches(word, value) || PatternIntersection.Intersects(word.Pattern.Replace(TextPattern.Home, TextPattern.AnyText), TextPattern.AnyText + TextPattern.Literal(value) + TextPattern.AnyText);

    private static (List<List<string>> Invocations, List<string> Created) RunInBash(string script)
    {
        var root = Path.Combine(Path.GetTempPath(), $"bash-oracle-{Guid.NewGuid():n}");
        var bin = Path.Combine(root, "bin");
        var work = Path.Combine(root, "work");
        var log = Path.Combine(root, "log");
        Directory.CreateDirectory(bin);
        Directory.CreateDirectory(Path.Combine(work, "src"));
        try
        {
            var recorder = Path.Combine(bin, ".recorder");
            // One printf, so one write(2) to an O_APPEND file: the programs of a pipeline run at once,
            // and a record written in pieces could interleave with another program's.
            File.WriteAllText(recorder, "#!/bin/bash\nprintf \"$(printf '%%s\\\\0%.0s' \"${0##*/}\" \"$@\")\\n\" \"${0##*/}\" \"$@\" >> '" + log + "'\n");
            foreach (var name in Recorded)
            {
                File.CreateSymbolicLink(Path.Combine(bin, name), recorder);
            }

            foreach (var file in CraftedFiles)
            {
                File.WriteAllText(Path.Combine(work, file), "x\n");
            }

            File.WriteAllText(log, string.Empty);
            Chmod(root);
            var before = Directory.EnumerateFiles(work, "*", SearchOption.AllDirectories).ToHashSet(StringComparer.Ordinal);
            var prelude = "enable -n echo printf test [ true false kill pwd; ";
            var arguments = Environment.UserName == "root"
                ? new[] { "-n", "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/bash", "--norc", "--noprofile", "-c", prelude + script }
                : null;
            var start = arguments is null
                ? new ProcessStartInfo("/bin/bash", ["--norc", "--noprofile", "-c", prelude + script])
                : new ProcessStartInfo("/usr/bin/unshare", arguments);
            start.WorkingDirectory = work;
            start.UseShellExecute = false;
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            start.RedirectStandardInput = true;
            start.Environment.Clear();
            start.Environment["PATH"] = bin;
            start.Environment["HOME"] = work;
            using (var bash = Process.Start(start)!)
            {
                bash.StandardInput.Close();
                var output = bash.StandardOutput.ReadToEndAsync();
                var errors = bash.StandardError.ReadToEndAsync();
                bash.WaitForExit(30_000).Should().BeTrue("bash ran {0}", script);
                _ = output.Result + errors.Result;
            }

            var invocations = File.ReadAllText(log)
                .Split("\0\n", StringSplitOptions.RemoveEmptyEntries)
                .Select(entry => entry.Split('\0').ToList())
                .ToList();
            var created = Directory.EnumerateFiles(work, "*", SearchOption.AllDirectories)
                .Where(f => !before.Contains(f))
                .Select(f => Path.GetRelativePath(work, f))
                .Order(StringComparer.Ordinal)
                .ToList();
            return (invocations, created);
        }
        finally
        {
            DeleteWhenDone(root);
        }
    }

    /// <summary>Removes the directory once the case's last processes (a process substitution's) have let go of it.</summary>
    private static void DeleteWhenDone(string root)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                Directory.Delete(root, recursive: true);
                return;
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    private static void Chmod(string root)
    {
        const UnixFileMode All = (UnixFileMode)0x1FF;
        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Prepend(root))
        {
            if (File.GetAttributes(entry).HasFlag(FileAttributes.ReparsePoint))
            {
                continue;
            }

            if (OperatingSystem.IsLinux())
            {
                File.SetUnixFileMode(entry, All);
            }
        }
    }
}
