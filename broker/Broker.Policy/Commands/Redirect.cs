namespace Broker.Policy.Commands;

/// <summary>A redirection of a simple command: its descriptor (or <c>{name}</c>), operator and target word.</summary>
internal sealed record Redirect(string? Descriptor, string Operator, ShellWord Target)
{
    /// <summary>The descriptor the operator applies to when none is written (0 for input, 1 for output).</summary>
    public string EffectiveDescriptor => Descriptor ?? (Operator is "<" or "<>" or "<&" or "<<" or "<<-" or "<<<" ? "0" : Operator is "&>" or "&>>" ? "1,2" : "1");

    /// <summary>True for operators that open the target as a file to read (<c>&lt;</c>, <c>&lt;&gt;</c>).</summary>
    public bool ReadsFile => Operator is "<" or "<>";

    /// <summary>True for operators that open the target as a file to write.</summary>
    public bool WritesFile => Operator is ">" or ">>" or ">|" or "&>" or "&>>" or "<>" || (Operator is ">&" && !IsDescriptorTarget);

    /// <summary>True when the target is a descriptor (<c>2&gt;&amp;1</c>, <c>&lt;&amp;-</c>) rather than a file.</summary>
    public bool IsDescriptorTarget => Operator is ">&" or "<&" && Target.IsLiteral && (Target.Value == "-" || (Target.Value.Length > 0 && Target.Value.TrimEnd('-').All(char.IsAsciiDigit)));

    /// <inheritdoc />
    public override string ToString() => Descriptor + Operator + Target.Value;
}
