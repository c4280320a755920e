namespace Broker.Masking;

/// <summary>A role-defined detector: everything the regular expression matches is masked under <paramref name="Name"/>.</summary>
/// <param name="Name">The detector name shown in the replacement and the counts.</param>
/// <param name="Pattern">A .NET regular expression.</param>
public sealed record CustomDetector(string Name, string Pattern);
