using BenchmarkDotNet.Attributes;
using Broker.Core.Processes;
using Broker.Core.Sessions;
using Broker.Core.Targets;
using Broker.Server.Recording;
using Microsoft.Extensions.Logging.Abstractions;
using Recorder;

namespace Broker.Bench.Recorder;

/// <summary>How a session's journal is set up in a run.</summary>
public enum JournalMode
{
    /// <summary>Nothing is recorded (<see cref="DiscardingJournal"/>): the baseline.</summary>
    Discard,

    /// <summary>The broker's recording journal: file, index row, hash chain, signatures, seal.</summary>
    Record,

    /// <summary>As <see cref="Record"/>, with an observer attached that never reads.</summary>
    RecordWithIdleObserver,
}

/// <summary>
/// The cost of recording on a real session: the same exec session (<c>cat</c> of typical shell
/// output through the broker's session pipeline: process, pipes, event log) drained to its end,
/// with a discarding journal, with the recording journal, and with an observer that reads nothing.
/// Bytes on disk per byte of output are printed after each recorded iteration ("recording size").
/// Masking is left out (a pass-through filter) so that only the journal differs. The job comes
/// from the command line (docs/BENCHMARKS.md gives the one used there: in-process, monitoring
/// strategy, one session per iteration), so the quick smoke run stays a single pass.
/// </summary>
[MedianColumn]
public class SessionRecordingOverheadBenchmarks : IDisposable
{
    private const int CorpusBytes = 64 * 1024 * 1024;

    private string _directory = string.Empty;
    private string _corpusFile = string.Empty;
    private RecordingStore? _store;
    private SqliteRecordingIndex? _index;
    private RecordingCatalog? _catalog;
    private SessionManager? _sessions;
    private RecordingJournal? _recording;
    private RecordingSubscription? _idle;
    private Session? _session;

    [Params(JournalMode.Discard, JournalMode.Record, JournalMode.RecordWithIdleObserver)]
    public JournalMode Journal { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "broker-bench-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(_directory);
        _corpusFile = Path.Combine(_directory, "shell-output.txt");
        File.WriteAllBytes(_corpusFile, ShellOutputCorpus.Create(CorpusBytes));
        _store = new RecordingStore(_directory, new RecordingWriterOptions());
        _index = new SqliteRecordingIndex(Path.Combine(_directory, SqliteRecordingIndex.FileName));
        _catalog = new RecordingCatalog(_store, _index, TimeProvider.System, NullLogger<RecordingCatalog>.Instance);
        _sessions = new SessionManager([new LocalShellTarget(new LocalShellSettings { Name = "local" }, ProcessContainment.BySessionId)], TimeProvider.System);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    public void Dispose()
    {
        _index?.Dispose();
        _index = null;
        _store?.Dispose();
        _store = null;
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Output throughput as the agent sees it: from opening the session to its last output byte.
    /// The end of the session (the recorder finishing its backlog and sealing) is waited for after
    /// the measurement, in the iteration cleanup, and its size reported there.
    /// </summary>
    [Benchmark]
    public async Task<long> CatThroughSession()
    {
        // Jobs given on the command line may call this more than once per iteration: end the previous session first.
        EndSession();
        var id = SessionIds.New(TimeProvider.System);
        ISessionJournal journal = DiscardingJournal.Instance;
        _recording = null;
        if (Journal != JournalMode.Discard)
        {
            _recording = _catalog!.OpenJournal(new RecordingHeader { SessionId = id, Subject = "bench-agent", Target = "local", Kind = "exec" }, NullLogger.Instance);
            journal = _recording;
        }

        // Subscribed and never read: the journal must cut it off instead of waiting for it.
        _idle = Journal == JournalMode.RecordWithIdleObserver ? _recording!.Subscribe(64) : null;
        var opened = await _sessions!.OpenCommandAsync(
            new OpenRequest { Id = id, Journal = journal, Owner = new SessionOwner("bench", "bench-agent"), Roles = [], Target = "local" },
            new TargetCommand.Argv(["cat", _corpusFile]),
            CancellationToken.None);
        _session = opened.Session ?? throw new InvalidOperationException(opened.Message);
        long received = 0;
        while (received < CorpusBytes && await _session.Events.WaitToReadAsync())
        {
            while (_session.Events.TryRead(out var item))
            {
                if (item is SessionEvent.Output output)
                {
                    received += output.Data.Length;
                }
            }
        }

        return received == CorpusBytes ? received : throw new InvalidOperationException($"received {received} of {CorpusBytes} bytes");
    }

    [IterationCleanup]
    public void EndSession()
    {
        if (_session is null)
        {
            return;
        }

        var sealWait = System.Diagnostics.Stopwatch.StartNew();
        while (_session.Events.TryRead(out _) || !_session.Completion.IsCompleted)
        {
            _session.Events.WaitToReadAsync().AsTask().Wait(TimeSpan.FromMilliseconds(50));
        }

        _session.Completion.GetAwaiter().GetResult();
        sealWait.Stop();
        _session.Dispose();
        _session = null;
        if (_idle is not null)
        {
            _recording!.Unsubscribe(_idle);
            _idle = null;
        }

        if (_recording is not null && File.Exists(_recording.Path))
        {
            var size = new FileInfo(_recording.Path).Length;
            Console.WriteLine($"// recording size: {size} bytes on disk for {CorpusBytes} bytes of output = {100.0 * size / CorpusBytes:F2} %; session end (recorder backlog + seal) {sealWait.ElapsedMilliseconds} ms after the last byte");
            File.Delete(_recording.Path);
        }
    }
}
