using Broker.Server.Interactive;

namespace Broker.Integration.Tests.Interactive;

/// <summary>
/// The line editor's step queue (issue 22): a key from the frame reader resumes the waiting editor on the reader's own
/// thread (no thread-pool hop per keystroke), while any other write (a prompt marker from inside the output filter)
/// resumes it elsewhere, never inside the writer's call. No I/O.
/// </summary>
public sealed class StepQueueTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_write_resuming_here_runs_the_waiting_reader_on_the_writers_thread_before_the_write_returns()
    {
        var (insideWrite, item) = await ResumedByAsync(static (queue, item) => queue.WriteResumingHere(item));

        insideWrite.Should().BeTrue("the key's writer runs the editor itself instead of handing it to another thread");
        item.Should().Be(7);
    }

    [Fact]
    public async Task A_plain_write_never_runs_the_waiting_reader_inside_the_writers_call()
    {
        var (insideWrite, item) = await ResumedByAsync(static (queue, item) => queue.TryWrite(item));

        insideWrite.Should().BeFalse("a marker written from inside the output filter must not run the editor there");
        item.Should().Be(7);
    }

    [Fact]
    public async Task Items_are_read_in_the_order_written_whichever_way_and_the_wait_says_false_once_completed()
    {
        var queue = new StepQueue<int>();
        var read = new List<int>();
        var reader = ReadAllAsync(queue, read);

        queue.TryWrite(1).Should().BeTrue();
        queue.WriteResumingHere(2).Should().BeTrue();
        queue.TryWrite(3).Should().BeTrue();
        queue.WriteResumingHere(4).Should().BeTrue();
        queue.Complete();

        await reader.WaitAsync(Timeout);
        read.Should().Equal(1, 2, 3, 4);
        queue.TryWrite(5).Should().BeFalse("a completed queue takes nothing more");
        queue.WriteResumingHere(6).Should().BeFalse("a completed queue takes nothing more");
    }

    [Fact]
    public async Task A_write_the_resumed_reader_makes_itself_is_queued_behind_and_read_after_it()
    {
        var queue = new StepQueue<int>();
        var read = new List<int>();
        var reader = ReadAllAsync(queue, read, onItem: item =>
        {
            // A marker the editor's own echo produces, written while the editor runs on the key's thread.
            if (item == 1)
            {
                queue.TryWrite(2).Should().BeTrue();
            }
        });

        await Task.Run(() => queue.WriteResumingHere(1)).WaitAsync(Timeout);
        queue.Complete();

        await reader.WaitAsync(Timeout);
        read.Should().Equal(1, 2);
    }

    /// <summary>
    /// Writes 7 from a thread-pool thread to a reader already waiting; says whether the reader resumed on that thread
    /// while the write was still in progress.
    /// </summary>
    private static async Task<(bool InsideWrite, int Item)> ResumedByAsync(Func<StepQueue<int>, int, bool> write)
    {
        var queue = new StepQueue<int>();
        var writing = 0;
        var writerThread = 0;
        var resumed = new TaskCompletionSource<(bool, int)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = ReadOneAsync();

        var writer = Task.Run(() =>
        {
            writerThread = Environment.CurrentManagedThreadId;
            Volatile.Write(ref writing, 1);
            var written = write(queue, 7);
            Volatile.Write(ref writing, 0);
            return written;
        });

        (await writer.WaitAsync(Timeout)).Should().BeTrue();
        await reader.WaitAsync(Timeout);
        return await resumed.Task.WaitAsync(Timeout);

        async Task ReadOneAsync()
        {
            var wait = queue.WaitToReadAsync();
            wait.IsCompleted.Should().BeFalse("nothing is queued yet: the reader waits");
            (await wait.ConfigureAwait(false)).Should().BeTrue();
            var inside = Volatile.Read(ref writing) == 1 && Environment.CurrentManagedThreadId == Volatile.Read(ref writerThread);
            queue.TryRead(out var item).Should().BeTrue();
            resumed.SetResult((inside, item));
        }
    }

    private static async Task ReadAllAsync(StepQueue<int> queue, List<int> read, Action<int>? onItem = null)
    {
        while (await queue.WaitToReadAsync().ConfigureAwait(false))
        {
            while (queue.TryRead(out var item))
            {
                read.Add(item);
                onItem?.Invoke(item);
            }
        }
    }
}
