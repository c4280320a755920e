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

    /// <summary>
    /// <paramref name="warmup"/> untimed runs of each item, then <paramref name="count"/> runs of each
    /// in blocks of <paramref name="blockSize"/>, the items' order rotating from block to block.
    /// </summary>
    public static async Task InBlocksAsync<T>(IReadOnlyList<T> items, int warmup, int count, int blockSize, Func<T, bool, Task> once)
    {
        foreach (var item in items)
        {
            for (var i = 0; i < warmup; i++)
            {
                await once(item, false).ConfigureAwait(false);
            }
        }

        var blocks = (count + blockSize - 1) / blockSize;
        for (var block = 0; block < blocks; block++)
        {
            var size = Math.Min(blockSize, count - (block * blockSize));
            foreach (var item in Round(items, block))
            {
                for (var i = 0; i < size; i++)
                {
                    await once(item, true).ConfigureAwait(false);
                }
            }
        }
    }
}
