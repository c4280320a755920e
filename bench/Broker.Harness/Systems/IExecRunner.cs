namespace Broker.Harness.Systems;

/// <summary>Runs <c>true</c> on a system once, the way a client of that system would, and waits for its exit.</summary>
internal interface IExecRunner
{
    /// <summary>Column heading in the report.</summary>
    string Name { get; }

    /// <summary>Returns null on success, or what went wrong.</summary>
    Task<string?> RunTrueAsync(CancellationToken cancellationToken);
}
