using System.Buffers;
using System.Text;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

public class ProfileTests
{
    [Fact]
    public void Unknown_detector_name_is_an_error_naming_it()
    {
        var result = MaskingProfile.Create(new MaskingSettings { Disable = ["github-tokens"] });

        result.Succeeded.Should().BeFalse();
        result.Errors.Should().ContainSingle().Which.Should().Contain("github-tokens");
    }

    [Fact]
    public void Bad_custom_regex_is_an_error_naming_the_detector()
    {
        var result = MaskingProfile.Create(new MaskingSettings { Custom = [new CustomDetector("corp-id", "CORP-[0-9")] });

        result.Succeeded.Should().BeFalse();
        result.Errors.Should().ContainSingle().Which.Should().Contain("corp-id").And.Contain("invalid pattern");
    }

    [Fact]
    public void Custom_detector_clashing_with_a_built_in_or_matching_nothing_is_rejected()
    {
        MaskingProfile.Create(new MaskingSettings { Custom = [new CustomDetector("jwt", "x+")] }).Errors.Should().ContainSingle();
        MaskingProfile.Create(new MaskingSettings { Custom = [new CustomDetector("any", "x*")] }).Errors.Should().ContainSingle();
        MaskingProfile.Create(new MaskingSettings { MaxHoldBytes = 10 }).Errors.Should().ContainSingle();
    }

    [Fact]
    public void Known_detectors_list_every_built_in_and_email_is_off_by_default()
    {
        MaskingProfile.KnownDetectors.Should().Contain(["aws-access-key-id", "pem-private-key", "jwt", "credit-card", "email"]);
        MaskingProfile.Default.EnabledDetectors.Should().NotContain("email").And.Contain("credit-card");
    }

    [Fact]
    public void Disabled_detector_does_not_mask()
    {
        var profile = Mask.Profile(new MaskingSettings { Disable = ["github-token"] });

        Mask.Run($"t {SecretCorpus.GitHubClassic}\n", profile).Output.Should().Be($"t {SecretCorpus.GitHubClassic}\n");
    }

    [Fact]
    public void Custom_detector_masks_its_matches_whatever_the_chunking()
    {
        var profile = Mask.Profile(new MaskingSettings { Custom = [new CustomDetector("corp-id", @"CORP-[0-9]{8}"), new CustomDetector("ticket-secret", @"(?<=Ticket secret: )\S+")] });
        const string text = "user CORP-12345678 logged in; Ticket secret: Zy8-é-Qq\nend CORP-123\n";
        var input = Encoding.UTF8.GetBytes(text);

        for (var at = 1; at < input.Length; at++)
        {
            Mask.Run(input, Mask.SplitAt(input, at), profile).Output
                .Should().Be("user [MASKED:corp-id] logged in; Ticket secret: [MASKED:ticket-secret]\nend CORP-123\n");
        }
    }

    [Fact]
    public void Same_length_replacement_keeps_width_and_line_breaks()
    {
        var profile = Mask.Profile(new MaskingSettings { Replacement = ReplacementStyle.SameLength });

        Mask.Run($"t {SecretCorpus.GitHubClassic} é\n", profile).Output.Should().Be($"t {new string('*', SecretCorpus.GitHubClassic.Length)} é\n");
        var pem = Mask.Run(SecretCorpus.Pem, profile).Output;
        pem.Should().MatchRegex(@"^[*\n]+$");
        pem.Length.Should().Be(SecretCorpus.Pem.Length);
    }

    [Fact]
    public void Counts_report_masked_regions_per_detector()
    {
        var run = Mask.Run($"{SecretCorpus.GitHubClassic} {SecretCorpus.Npm}\n{SecretCorpus.GitHubClassic}\n");

        run.Counts.Should().BeEquivalentTo(new Dictionary<string, long> { ["github-token"] = 2, ["npm-token"] = 1 });
    }

    [Fact]
    public void Secret_registered_while_the_masker_runs_is_masked_from_the_next_chunk_on()
    {
        var secrets = new SecretRegistry();
        var masker = MaskingProfile.Default.CreateMasker(secrets);
        var output = new ArrayBufferWriter<byte>();

        masker.Push("old: Rotated-Cred-0001\n"u8, output);
        secrets.Register("refreshed-credential", "Rotated-Cred-0001");
        masker.Push("new: Rotated-Cred-0001\n"u8, output);
        masker.Complete(output);

        Encoding.UTF8.GetString(output.WrittenSpan).Should().Be("old: Rotated-Cred-0001\nnew: [MASKED:refreshed-credential]\n");
        masker.Counts.Should().ContainKey("refreshed-credential");
    }

    [Fact]
    public async Task Mask_filter_copies_stdin_to_stdout_masked()
    {
        using var input = new MemoryStream(Encoding.UTF8.GetBytes($"a {SecretCorpus.Slack}\nplain\n"));
        using var output = new MemoryStream();

        await MaskFilter.RunAsync(input, output, MaskingProfile.Default, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Encoding.UTF8.GetString(output.ToArray()).Should().Be("a [MASKED:slack-token]\nplain\n");
    }

    [Fact]
    public void Held_bytes_stay_bounded_and_an_overlong_candidate_is_masked_to_its_end()
    {
        var profile = Mask.Profile(new MaskingSettings { MaxHoldBytes = 1024 });
        var masker = profile.CreateMasker(new SecretRegistry());
        var output = new ArrayBufferWriter<byte>();
        var longToken = "ghp_" + new string('a', 5000);

        foreach (var chunk in longToken.Chunk(100))
        {
            masker.Push(Encoding.UTF8.GetBytes(chunk), output);
        }

        masker.HasHeldBytes.Should().BeFalse("a candidate past the bound is masked, not held");
        Encoding.UTF8.GetString(output.WrittenSpan).Should().Be("[MASKED:github-token]");

        masker.Push(" after\n"u8, output);
        masker.Complete(output);

        Encoding.UTF8.GetString(output.WrittenSpan).Should().Be("[MASKED:github-token] after\n");
    }
}
