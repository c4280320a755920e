namespace Broker.Postgres;

/// <summary>One step of the shared schema: applied once, in version order, never edited after it ships.</summary>
/// <param name="Version">Its place in the order (1, 2, …; no gaps).</param>
/// <param name="Name">What it adds, for the migrations table and the log.</param>
/// <param name="Sql">The statements; they run in the transaction that records the step.</param>
public sealed record Migration(int Version, string Name, string Sql);
