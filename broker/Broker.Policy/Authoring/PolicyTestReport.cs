namespace Broker.Policy;

/// <summary>The result of <c>broker policy test</c>: lines to print and whether every example passed.</summary>
/// <param name="Lines">One line per example (<c>ok</c> or <c>FAIL</c>) and a summary line.</param>
/// <param name="Succeeded">True when every example passed.</param>
public sealed record PolicyTestReport(IReadOnlyList<string> Lines, bool Succeeded);
