namespace Broker.Harness.Measurements;

/// <summary>Runs the systems in a different order each round, so that no system always goes first (warm caches) or last.</summary>
internal static class Interleaving
{
    public static IEnumerable<T> Round<T>(IReadOnlyList<T> items, int round)
    {
        for (var i = 0; i < items.Count; i++)
        {
            yield return items[(i + round) % items.Count];
        }
    }
}
