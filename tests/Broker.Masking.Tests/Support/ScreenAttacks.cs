using System.Text;

namespace Broker.Masking.Tests.Support;

/// <summary>One way of drawing a secret on a terminal row out of order, so that the bytes never hold it in one piece.</summary>
internal sealed record ScreenAttack(string Label, string Output, string Secret, int Columns = 80)
{
    public byte[] Bytes => Encoding.UTF8.GetBytes(Output);

    public override string ToString() => Label;
}

/// <summary>Cursor movement and overwrites that assemble a GitHub token on the screen (the issue's <c>\e[5G%s\r%s</c> and its relatives).</summary>
internal static class ScreenAttacks
{
    private const string Esc = "\u001b";
    private static readonly string Token = SecretCorpus.GitHubClassic;
    private static readonly string Prefix = Token[..4];
    private static readonly string Body = Token[4..];

    public static IReadOnlyList<ScreenAttack> All { get; } =
    [
        new("the body at column 5, then the prefix after a carriage return", $"{Esc}[5G{Body}\r{Prefix}\r\n$ ", Token),
        new("a wrong character overwritten after moving back", $"{Token[..14]}#{Token[15..]}{Esc}[26D{Token[14]}\r\n$ ", Token),
        new("a wrong character overwritten after a backspace", $"{Token[..24]}#\b{Token[24..]}\r\n$ ", Token),
        new("pieces drawn right to left at absolute columns", $"{Esc}[21G{Token[20..]}{Esc}[11G{Token[10..20]}{Esc}[1G{Token[..10]}\r\n$ ", Token),
        new("characters inserted into the middle", $"{Prefix}{Token[24..]}{Esc}[5G{Esc}[20@{Token[4..24]}\r\n$ ", Token),
        new("cursor saved at the start and restored", $"{Esc}7{Esc}[5G{Body}{Esc}8{Prefix}\r\n$ ", Token),
        new("cursor positioned on the same row twice", $"{Esc}[3;5H{Body}{Esc}[3;1H{Prefix}{Esc}[5;1H$ ", Token),
        new("characters deleted from the middle", $"{Prefix}----{Body}{Esc}[40D{Esc}[4P\r\n$ ", Token),
        new("a filler erased before the body", $"{Prefix}....{Esc}[4D{Esc}[K{Body}\r\n$ ", Token),
        new("the last character repeated", $"ghp_A{Esc}[35b\r\n$ ", "ghp_" + new string('A', 36)),
    ];
}
