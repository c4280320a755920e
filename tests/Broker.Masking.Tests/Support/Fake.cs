using System.Text;

namespace Broker.Masking.Tests.Support;

/// <summary>Deterministic random values of the alphabets secrets are made of (never live credentials).</summary>
internal static class Fake
{
    public const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    public const string Lower = "abcdefghijklmnopqrstuvwxyz";
    public const string Digits = "0123456789";
    public const string Alnum = Upper + Lower + Digits;
    public const string Hex = "0123456789abcdef";
    public const string Base64 = Alnum + "+/";
    public const string Word = Alnum + "_";
    public const string WordDash = Alnum + "_-";

    public static string Of(string alphabet, int length, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            text.Append(alphabet[random.Next(alphabet.Length)]);
        }

        return text.ToString();
    }

    public static string Base64Of(int bytes, int seed)
    {
        var data = new byte[bytes];
        new Random(seed).NextBytes(data);
        return Convert.ToBase64String(data);
    }

    public static string Base64Url(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
