using Broker.Core.Accounts;

namespace Broker.Core.Tests.Accounts;

public sealed class LeaseFileTests : IDisposable
{
    private const string Identity = "0123456789abcdef0123456789abcdef";

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("lease-file-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void Every_state_is_written_over_the_last_in_place_and_reads_back()
    {
        var path = Path.Combine(_root.FullName, "70000");
        var (lease, error) = LeaseFile.TryAcquire(path);
        error.Should().BeNull();
        using (lease)
        {
            var leased = new LeaseState(LeaseStatus.Leased, Identity, 1_780_000_000);
            var clean = new LeaseState(LeaseStatus.Clean, Identity, 1_780_000_001);
            var nobody = new LeaseState(LeaseStatus.Leased, "", 0);
            foreach (var state in new[] { leased, clean, nobody, leased })
            {
                lease!.Write(state).Should().BeTrue();

                // The file keeps one size whatever the state: no write shrinks it, so none truncates it.
                new FileInfo(path).Length.Should().Be(LeaseFile.RecordLength);
                lease.Read().Should().Be(state);
                LeaseFile.Peek(path).Should().Be(state);
            }
        }
    }

    [Fact]
    public void A_lease_written_by_an_earlier_broker_reads_back_and_is_rewritten_as_a_record()
    {
        var path = Path.Combine(_root.FullName, "70001");
        File.WriteAllText(path, $"clean {Identity} 1780000000\n");
        var (lease, _) = LeaseFile.TryAcquire(path);
        using (lease)
        {
            lease!.Read().Should().Be(new LeaseState(LeaseStatus.Clean, Identity, 1_780_000_000));

            lease.Write(new LeaseState(LeaseStatus.Leased, Identity, 1_780_000_002)).Should().BeTrue();

            new FileInfo(path).Length.Should().Be(LeaseFile.RecordLength);
            LeaseFile.Peek(path).Should().Be(new LeaseState(LeaseStatus.Leased, Identity, 1_780_000_002));
        }
    }

    [Fact]
    public void A_file_longer_than_a_record_is_cut_to_the_state_written()
    {
        var path = Path.Combine(_root.FullName, "70002");
        File.WriteAllText(path, new string('x', 300));
        var (lease, _) = LeaseFile.TryAcquire(path);
        using (lease)
        {
            lease!.Read().Should().Be(new LeaseState(LeaseStatus.Leased, "", 0), "what cannot be read is unclean");

            lease.Write(new LeaseState(LeaseStatus.Clean, Identity, 1_780_000_003)).Should().BeTrue();

            new FileInfo(path).Length.Should().Be(LeaseFile.RecordLength);
            LeaseFile.Peek(path).Should().Be(new LeaseState(LeaseStatus.Clean, Identity, 1_780_000_003));
        }
    }
}
