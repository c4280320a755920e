using System.Text;
using Broker.Ssm.Targets;

namespace Broker.Ssm.Tests.Targets;

/// <summary>
/// Inferring a no-echo read on an SSM terminal from its output: a password-shaped prompt shown last, with nothing after it.
/// </summary>
public sealed class PasswordPromptWatchTests
{
    public static TheoryData<string> Prompts() =>
    [
        "Password: ",
        "[sudo] password for ann: ",
        "ann@10.0.0.5's password: ",
        "Enter passphrase for key '/home/ann/.ssh/id_ed25519': ",
        "Password for 'https://ann@github.com': ",
        "Enter PIN for 'PIV Card Holder pin (PIV_II)': ",
        "Verification code: ",
        "Retype new password:",
        "Passwort: ",
        "$ read -s -p 'Token: ' t\r\nToken: ",
        "\u001b[1mPassword:\u001b[0m ",
        "Downloading\rPassword: ",
    ];

    public static TheoryData<string> NotPrompts() =>
    [
        "$ ",
        "root@box:~# ",
        "Password: hunter2",
        "Password: \r\n",
        "password changed.\r\n$ ",
        "Name: ",
        "Spin: ",
        "\u001b]0;password:\u0007$ ",
        "Password: \r\n\u001b]133;X;tag;0\u0007$ ",
    ];

    [Theory]
    [MemberData(nameof(Prompts))]
    public void A_password_prompt_shown_last_is_a_no_echo_read_at_every_split(string output)
    {
        AtPromptAtEverySplit(output).Should().AllSatisfy(r => r.Should().BeTrue(output));
    }

    [Theory]
    [MemberData(nameof(NotPrompts))]
    public void Other_output_is_not_at_every_split(string output)
    {
        AtPromptAtEverySplit(output).Should().AllSatisfy(r => r.Should().BeFalse(output));
    }

    [Fact]
    public void The_echo_of_a_typed_key_after_the_prompt_ends_the_inference()
    {
        var watch = new PasswordPromptWatch();
        watch.Observe("Password: "u8);
        watch.AtPasswordPrompt.Should().BeTrue();

        watch.Observe("h"u8);

        watch.AtPasswordPrompt.Should().BeFalse("a program that echoes what is typed is not reading a secret unseen");
    }

    [Fact]
    public void The_program_printing_after_the_line_was_read_ends_the_inference()
    {
        var watch = new PasswordPromptWatch();
        watch.Observe("[sudo] password for ann: "u8);
        watch.AtPasswordPrompt.Should().BeTrue();

        watch.Observe("\r\nann@box:~$ "u8);

        watch.AtPasswordPrompt.Should().BeFalse();
    }

    [Fact]
    public void A_prompt_at_the_end_of_a_line_longer_than_the_watch_keeps_is_still_seen()
    {
        var watch = new PasswordPromptWatch();
        watch.Observe(Encoding.ASCII.GetBytes(new string('x', 1000) + " Password: "));

        watch.AtPasswordPrompt.Should().BeTrue();
    }

    private static List<bool> AtPromptAtEverySplit(string output)
    {
        var bytes = Encoding.UTF8.GetBytes(output);
        var results = new List<bool>();
        for (var at = 0; at <= bytes.Length; at++)
        {
            var watch = new PasswordPromptWatch();
            watch.Observe(bytes.AsSpan(0, at));
            watch.Observe(bytes.AsSpan(at));
            results.Add(watch.AtPasswordPrompt);
        }

        var byteByByte = new PasswordPromptWatch();
        foreach (var b in bytes)
        {
            byteByByte.Observe([b]);
        }

        results.Add(byteByByte.AtPasswordPrompt);
        return results;
    }
}
