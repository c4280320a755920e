using Broker.Server.Recording;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Integration.Tests.Fixtures;

/// <summary>The recording index's row for a subject's session once the session has ended (its end is asynchronous to its client).</summary>
internal static class EndedRow
{
    public static async Task<RecordingIndexEntry> WaitAsync(BrokerFixture broker, string subject)
    {
        var catalog = broker.Services.GetRequiredService<RecordingCatalog>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var row = catalog.Index.List(new RecordingQuery { Subject = subject }).SingleOrDefault();
            if (row?.EndedAt is not null)
            {
                return row;
            }

            await Task.Delay(50, timeout.Token);
        }
    }
}
