using System.Text;
using System.Text.Json;
using Broker.Masking.Tests.Support;
using Xunit.Abstractions;

namespace Broker.Masking.Tests;

/// <summary>Runs the real secretlint (pinned in tests/fixtures) on the secret corpus: every secret it finds, we must mask.</summary>
public class SecretlintComparisonTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Every_secret_secretlint_finds_is_masked_by_us()
    {
        var directory = Directory.CreateTempSubdirectory("masking-secretlint");
        try
        {
            var files = new Dictionary<string, SecretSample>();
            foreach (var (sample, i) in SecretCorpus.Samples.Select((s, i) => (s, i)))
            {
                var path = Path.Combine(directory.FullName, $"sample-{i:00}.txt");
                await File.WriteAllTextAsync(path, sample.Text).WaitAsync(TimeSpan.FromSeconds(10));
                files[path] = sample;
            }

            var script = Path.Combine(Repository.Root, "tests", "fixtures", "secretlint", "run.sh");
            var (exit, stdout, stderr) = await Repository.RunAsync("bash", directory.FullName, [script, .. files.Keys.Order()]);
            exit.Should().BeOneOf([0, 1], $"secretlint must run (exit 0 or 1); stderr: {stderr}");

            var foundBySecretlint = new Dictionary<string, List<string>>();
            using var report = JsonDocument.Parse(stdout);
            foreach (var file in report.RootElement.EnumerateArray())
            {
                var sample = files[file.GetProperty("filePath").GetString()!];
                foreach (var message in file.GetProperty("messages").EnumerateArray())
                {
                    var rule = message.GetProperty("ruleId").GetString()!.Replace("@secretlint/secretlint-rule-", string.Empty, StringComparison.Ordinal);
                    foundBySecretlint.TryAdd(sample.Label, []);
                    foundBySecretlint[sample.Label].Add(rule);
                }
            }

            foundBySecretlint.Should().NotBeEmpty("secretlint finds several of these secrets");
            var table = new StringBuilder("| secret | secretlint | ours |\n|---|---|---|\n");
            foreach (var sample in SecretCorpus.Samples)
            {
                var ours = Mask.Run(sample.Text);
                var masked = sample.Secrets.All(secret => !ours.Output.Contains(secret, StringComparison.Ordinal));
                var theirs = foundBySecretlint.TryGetValue(sample.Label, out var rules) ? string.Join(", ", rules.Distinct()) : "not found";
                table.Append($"| {sample.Label} | {theirs} | {(masked ? string.Join(", ", ours.Counts.Keys.Order()) : "NOT MASKED")} |\n");
                if (rules is not null)
                {
                    ours.ShouldNotLeak(sample.Secrets);
                }
            }

            log.WriteLine(table.ToString());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
