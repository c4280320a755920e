namespace Broker.Policy.Commands;

/// <summary>A word after quote removal. <see cref="IsLiteral"/> is false when the shell would expand it further.</summary>
internal readonly record struct ShellWord(string Value, bool IsLiteral);
