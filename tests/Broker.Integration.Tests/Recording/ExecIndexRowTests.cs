using Broker.Integration.Tests.Fixtures;
using Broker.Server.Recording;
using Microsoft.Data.Sqlite;
using Recorder;

namespace Broker.Integration.Tests.Recording;

/// <summary>
/// An exec's started row is written behind its path; its ended row is in the database file itself by the time the
/// client has the exit status, with the end, the exit and the seal the file carries (<c>replay verify SESSION_ID</c>
/// on the data directory reads that file, past the broker).
/// </summary>
public sealed class ExecIndexRowTests : IClassFixture<BrokerFixture>
{
    private readonly BrokerFixture _broker;

    public ExecIndexRowTests(BrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task An_execs_ended_row_is_in_the_database_file_when_the_exit_status_arrives()
    {
        var result = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token("indexed-agent")), "true");
        result.Exit!.Code.Should().Be(0);

        // Read straight from the database file, past the broker's queue (a read through the broker writes it first).
        var row = Read(result.SessionId);
        row.Should().NotBeNull();
        row!.EndedAt.Should().NotBeNull("the ended row is written before the exit status is sent");

        var path = Directory.EnumerateFiles(Path.Combine(_broker.DataDirectory, "recordings"), result.SessionId + ".brkrec", SearchOption.AllDirectories).Single();
        VerificationResult verified;
        await using (var stream = File.OpenRead(path))
        {
            verified = RecordingVerifier.Verify(stream, await File.ReadAllTextAsync(Path.Combine(_broker.DataDirectory, "recording-key.pub.pem")));
        }

        verified.Status.Should().Be(VerificationStatus.IntactAndSealed);
        var length = new FileInfo(path).Length;
        row.Location.Should().Be(path);
        row.Subject.Should().Be("indexed-agent");
        row.Kind.Should().Be("exec");
        row.ExitCode.Should().Be(0);
        row.EndReason.Should().Be("Exited");
        row.SizeBytes.Should().Be(length);
        row.Counts.Commands.Should().Be(1);
        row.Counts.Allowed.Should().Be(1);
        row.Seal.Should().Be(new IndexedSeal(verified.VerifiedRecords, Convert.ToHexStringLower(verified.VerifiedChainHash.Span), length));
    }

    private RecordingIndexEntry? Read(string sessionId)
    {
        var database = Path.Combine(_broker.DataDirectory, SqliteRecordingIndex.FileName);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        return RecordingColumns.Select(command, RecordingFilter.ById(sessionId), 1).FirstOrDefault();
    }
}
