using System.Diagnostics;
using System.Text.Json;

namespace Broker.TestSupport.Terminal;

/// <summary>What a terminal shows after rendering some output: every row (scrollback included), the logical lines, the title.</summary>
public sealed record RenderedScreen(IReadOnlyList<string> Rows, IReadOnlyList<string> Lines, string Title)
{
    /// <summary>Everything on the screen as one text, one logical line per line, the title first.</summary>
    public string Text => Title + "\n" + string.Join('\n', Lines);

    /// <summary>Whether <paramref name="text"/> is drawn anywhere (within a logical line, or as the title).</summary>
    public bool Shows(string text) => Title.Contains(text, StringComparison.Ordinal) || Lines.Any(l => l.Contains(text, StringComparison.Ordinal));
}

/// <summary>
/// A real terminal emulator as the oracle of what a screen shows: the npm package @xterm/headless (pinned in
/// tests/fixtures), run under Node by tests/fixtures/xterm/render.mjs.
/// </summary>
public static class XtermScreen
{
    /// <summary>Renders each output on a fresh terminal of the given size.</summary>
    public static async Task<IReadOnlyList<RenderedScreen>> RenderAsync(IEnumerable<(int Columns, int Rows, byte[] Output)> outputs)
    {
        var items = outputs.Select(o => new { cols = o.Columns, rows = o.Rows, data = Convert.ToBase64String(o.Output) }).ToArray();
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.Combine(RepositoryRoot.Path, "tests", "fixtures"),
        };
        start.ArgumentList.Add(Path.Combine("xterm", "render.mjs"));
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(items).AsMemory(), timeout.Token);
        process.StandardInput.Close();
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"render.mjs exited with {process.ExitCode}: {await stderr}");
        }

        using var document = JsonDocument.Parse(await stdout);
        return [.. document.RootElement.EnumerateArray().Select(screen => new RenderedScreen(
            [.. screen.GetProperty("rows").EnumerateArray().Select(r => r.GetString()!)],
            [.. screen.GetProperty("lines").EnumerateArray().Select(l => l.GetString()!)],
            screen.GetProperty("title").GetString()!))];
    }

    /// <summary>Renders one output.</summary>
    public static async Task<RenderedScreen> RenderAsync(byte[] output, int columns = 80, int rows = 24) =>
        (await RenderAsync([(columns, rows, output)]))[0];
}
