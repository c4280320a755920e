using System.Buffers;

namespace Broker.Masking;

/// <summary>The <c>broker mask</c> filter: masks a stream into another, as a session would.</summary>
public static class MaskFilter
{
    private const int BufferSize = 64 * 1024;

    /// <summary>Copies <paramref name="input"/> to <paramref name="output"/> masked with <paramref name="profile"/>.</summary>
    public static Task RunAsync(Stream input, Stream output, MaskingProfile profile, CancellationToken cancellationToken) =>
        RunAsync(input, output, profile, new SecretRegistry(), TimeProvider.System, cancellationToken);

    /// <summary>
    /// Copies <paramref name="input"/> to <paramref name="output"/> masked with <paramref name="profile"/> and
    /// <paramref name="secrets"/>; when input pauses for the profile's hold delay, held bytes are flushed by the delay rule.
    /// </summary>
    public static async Task RunAsync(Stream input, Stream output, MaskingProfile profile, SecretRegistry secrets, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var masker = profile.CreateMasker(secrets);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        var masked = new ArrayBufferWriter<byte>(BufferSize);
        try
        {
            while (true)
            {
                var read = input.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).AsTask();
                while (masker.HasHeldBytes && !read.IsCompleted)
                {
                    var delay = Task.Delay(profile.HoldDelay, timeProvider, cancellationToken);
                    if (await Task.WhenAny(read, delay).ConfigureAwait(false) == delay && !read.IsCompleted)
                    {
                        masker.FlushHeld(masked);
                        await WriteAsync(output, masked, cancellationToken).ConfigureAwait(false);
                    }
                }

                var count = await read.ConfigureAwait(false);
                if (count == 0)
                {
                    break;
                }

                masker.Push(buffer.AsSpan(0, count), masked);
                await WriteAsync(output, masked, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            masker.Complete(masked);
            ArrayPool<byte>.Shared.Return(buffer);
        }

        await WriteAsync(output, masked, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteAsync(Stream output, ArrayBufferWriter<byte> masked, CancellationToken cancellationToken)
    {
        if (masked.WrittenCount == 0)
        {
            return;
        }

        await output.WriteAsync(masked.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        masked.ResetWrittenCount();
    }
}
