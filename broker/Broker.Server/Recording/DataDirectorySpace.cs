using Broker.Policy;

namespace Broker.Server.Recording;

/// <summary>
/// The free space of the file system that holds the recordings, against a floor: below it, running
/// sessions end (their recordings sealed, which needs a little room) and new ones are refused, so a
/// session writing as fast as it can (<c>cat /dev/urandom</c>) never fills the disk the broker and its
/// index live on. Read every second, and sooner by a recording that has grown (<see cref="Grew"/>).
/// </summary>
internal sealed partial class DataDirectorySpace : IDisposable
{
    // The free space is read again after this much growth of the recordings, whatever the clock says: a
    // statvfs per MiB costs nothing next to writing it, and keeps the overshoot past the floor small.
    private const long RecheckAfterBytes = 1024 * 1024;
    private readonly string _directory;
    private readonly ITimer _timer;
    private readonly ILogger<DataDirectorySpace> _logger;
    private long _free = long.MaxValue;
    private long _grownSinceCheck;
    private int _wasBelow;

    public DataDirectorySpace(string directory, long floor, TimeProvider time, ILogger<DataDirectorySpace> logger)
    {
        _directory = directory;
        Floor = floor;
        _logger = logger;
        Refresh();
        _timer = time.CreateTimer(_ => Refresh(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Free bytes the data directory keeps.</summary>
    public long Floor { get; }

    /// <summary>Free bytes at the last reading.</summary>
    public long Free => Interlocked.Read(ref _free);

    /// <summary>Whether the last reading was below the floor.</summary>
    public bool BelowFloor => Floor > 0 && Free < Floor;

    /// <summary>Why a session must end or may not start, or null while there is room.</summary>
    public string? Shortage => BelowFloor
        ? $"the data directory {_directory} has {ByteSize.Format(Free)} free, below its floor of {ByteSize.Format(Floor)} (server.recording.min_free_space)"
        : null;

    /// <summary>Reads the free space now.</summary>
    public void Refresh()
    {
        Interlocked.Exchange(ref _grownSinceCheck, 0);
        long free;
        try
        {
            free = new DriveInfo(_directory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // A file system that cannot be asked is not known to be full; writes to it fail on their own.
            LogUnreadable(_logger, _directory, e.Message);
            return;
        }

        Interlocked.Exchange(ref _free, free);
        var below = BelowFloor ? 1 : 0;
        if (Interlocked.Exchange(ref _wasBelow, below) != below)
        {
            if (below == 1)
            {
                LogBelowFloor(_logger, _directory, free, Floor);
            }
            else
            {
                LogRecovered(_logger, _directory, free);
            }
        }
    }

    /// <summary>A recording wrote <paramref name="bytes"/> more; after enough growth the space is read again at once.</summary>
    public void Grew(long bytes)
    {
        if (Interlocked.Add(ref _grownSinceCheck, bytes) >= RecheckAfterBytes)
        {
            Refresh();
        }
    }

    public void Dispose() => _timer.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "The data directory {Directory} has {FreeBytes} bytes free, below its floor of {FloorBytes}: sessions are ended and new ones refused until space is freed")]
    private static partial void LogBelowFloor(ILogger logger, string directory, long freeBytes, long floorBytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "The data directory {Directory} has {FreeBytes} bytes free again: new sessions are accepted")]
    private static partial void LogRecovered(ILogger logger, string directory, long freeBytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The free space of {Directory} cannot be read: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string directory, string reason);
}
