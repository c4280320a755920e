using System.Buffers;
using System.Text;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// Keys typed at a terminal, as the recorded input masker reads them (<see cref="MaskerOptions.TypedInput"/>), and a
/// prompt string in a command: a quoted label is not a secret, and nothing typed after Enter joins a value typed before it.
/// </summary>
public class TypedInputTests
{
    private const string ReadPassword = "read -r -s -p 'Password: ' pw; echo \"got ${#pw}\"";

    /// <summary>Types <paramref name="keys"/> one push each, flushing on the delay after every push as the recorder does.</summary>
    private static string Typed(params string[] keys)
    {
        var masker = MaskingProfile.Default.CreateMasker(new SecretRegistry(), MaskerOptions.TypedInput);
        var output = new ArrayBufferWriter<byte>();
        foreach (var key in keys)
        {
            masker.Push(Encoding.UTF8.GetBytes(key), output);
            masker.FlushHeld(output);
        }

        masker.Complete(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Theory]
    [InlineData(ReadPassword)]
    [InlineData("read -s -p \"Password: \" pw")]
    [InlineData("read -rsp 'Enter token: ' TOKEN && export TOKEN")]
    [InlineData("label='api_key=' ; printf '%s\\n' \"$label\"")]
    public void A_quoted_prompt_or_label_is_not_a_secret_value(string command)
    {
        MaskingProfile.Default.MaskText(command, new SecretRegistry()).Text.Should().Be(command, "a decision frame shows the command");
        Mask.Run(command + "\r\n").Output.Should().Be(command + "\r\n", "the echo of the command is output");
        Typed(command + "\r").Should().Be(command + "\r", "the typed command is recorded");
    }

    [Theory]
    [InlineData("echo \"password: 'Xk8vQ2mPz9'\"", "echo \"password: '[MASKED:keyword-secret]'\"")]
    [InlineData("{'password': 'Xk8vQ2mPz9'}", "{'password': '[MASKED:keyword-secret]'}")]
    [InlineData("curl -H 'Authorization: Bearer Xk8vQ2mPz9Lr' x", "curl -H 'Authorization: Bearer [MASKED:keyword-secret]' x")]
    [InlineData("echo 'DB_PASS=Xk8vQ2mPz9'", "echo 'DB_PASS=[MASKED:keyword-secret]'")]
    public void A_value_inside_the_quotes_of_its_key_is_still_masked(string text, string expected) =>
        MaskingProfile.Default.MaskText(text, new SecretRegistry()).Text.Should().Be(expected);

    [Fact]
    public void The_recorded_input_goes_on_after_a_no_echo_prompt_s_redacted_line()
    {
        var output = Typed(ReadPassword + "\r", "******************\r", "echo after-$((6*7))\r", "exit\r");

        output.Should().Be(ReadPassword + "\r******************\recho after-$((6*7))\rexit\r");
    }

    [Fact]
    public void Enter_ends_a_typed_value_so_the_next_command_is_recorded_as_typed()
    {
        // An unclosed quote and a bare value: either way the line typed after Enter is not part of the value.
        Typed("export DB_PASS=Xk8vQ2mPz9\r", "ls -l\r").Should().Be("export DB_PASS=[MASKED:keyword-secret]\rls -l\r");
        Typed("echo 'token=Xk8vQ2mPz9\r", "ls -l\r").Should().EndWith("\rls -l\r");
        Typed("e", "x", "p", "o", "r", "t", " ", "T", "O", "K", "E", "N", "=", "X", "k", "8", "v", "Q", "2", "m", "P", "z", "9", "\r", "l", "s", "\r")
            .Should().EndWith("[MASKED:keyword-secret]\rls\r").And.NotContain("vQ2m", "a delay after every key releases at most the first three bytes");
    }

    [Fact]
    public void In_terminal_output_a_carriage_return_still_joins_what_it_separates()
    {
        // `secret\rXXXX` still carries the secret to the screen and the recording: output keeps reading across it.
        var token = "ghp_" + new string('a', 18) + new string('Z', 18);
        Mask.Run(token[..10] + "\r" + token[10..] + "\n").Output.Should().Be("[MASKED:github-token]\n");
    }
}
