using System.CommandLine;
using Broker.Masking;
using Broker.Policy;
using Broker.Server.Configuration;
using Broker.Server.Masking;

namespace Broker.Server.Cli;

/// <summary><c>broker mask [--config FILE] [--role R]</c>: masks stdin to stdout, as a session would.</summary>
internal static class MaskCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "Policy file whose role settings apply (default: the embedded dev policy)" };
        var role = new Option<string?>("--role") { Description = "Role whose masking settings apply (default: all detectors on)" };
        var command = new Command("mask", "Mask secrets in stdin and write the result to stdout") { config, role };
        command.SetAction(async (parse, ct) =>
        {
            var settings = new MaskingSettings();
            if (parse.GetValue(role) is { } name)
            {
                var file = parse.GetValue(config);
                var loaded = file is null ? PolicyLoader.Parse(SettingsLoader.ReadDevPolicy(), "dev-policy.yaml (embedded)") : PolicyLoader.LoadFile(file.FullName);
                if (loaded.Document is not { } document)
                {
                    foreach (var error in loaded.Errors)
                    {
                        await Console.Error.WriteLineAsync($"broker: {error}").ConfigureAwait(false);
                    }

                    return 2;
                }

                var definition = document.Roles.FirstOrDefault(r => r.Name == name);
                if (definition is null)
                {
                    await Console.Error.WriteLineAsync($"broker: role '{name}' is not defined in {document.FileName}").ConfigureAwait(false);
                    return 2;
                }

                settings = MaskingProfiles.Combine([definition]);
            }

            var profile = MaskingProfile.Create(settings);
            if (profile.Profile is null)
            {
                await Console.Error.WriteLineAsync($"broker: {string.Join("; ", profile.Errors)}").ConfigureAwait(false);
                return 2;
            }

            await using var input = Console.OpenStandardInput();
            await using var output = Console.OpenStandardOutput();
            await MaskFilter.RunAsync(input, output, profile.Profile, ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
