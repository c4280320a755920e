using Broker.Policy.Decisions;

namespace Broker.Policy.Catalog;

/// <summary>
/// AWS actions that print a secret or mint a credential (<c>secretsmanager:GetSecretValue</c>, <c>ssm:GetParameter</c>
/// with <c>--with-decryption</c>, <c>sts:AssumeRole</c>, …), and CLI commands whose action is not their name
/// (<c>ecr get-login-password</c> is <c>ecr:GetAuthorizationToken</c>).
/// </summary>
internal sealed record AwsSecrets
{
    public static AwsSecrets None { get; } = new();

    public IReadOnlyList<AwsActionPattern> RevealsSecrets { get; init; } = [];

    /// <summary>Actions that reveal a secret only when the CLI option is given.</summary>
    public IReadOnlyDictionary<string, AwsActionPattern[]> RevealsSecretsWith { get; init; } = new Dictionary<string, AwsActionPattern[]>();

    /// <summary><c>service operation</c> → IAM action, for CLI commands named differently from their action.</summary>
    public IReadOnlyDictionary<string, string> Commands { get; init; } = new Dictionary<string, string>();

    /// <summary>Whether <paramref name="action"/>, given <paramref name="options"/>, prints a secret.</summary>
    public bool Reveals(string action, IReadOnlySet<string> options)
    {
        if (AwsActionPattern.AnyMatch([.. RevealsSecrets], action))
        {
            return true;
        }

        foreach (var (option, patterns) in RevealsSecretsWith)
        {
            if (options.Contains(option) && AwsActionPattern.AnyMatch(patterns, action))
            {
                return true;
            }
        }

        return false;
    }
}
