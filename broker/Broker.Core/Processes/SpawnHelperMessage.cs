using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Broker.Core.Processes;

/// <summary>
/// Encodes requests for the spawn helper (broker-spawn-helper.c, <c>struct request</c>): nine 32-bit fields in the
/// machine's byte order, then NUL-terminated strings. The array is rented; <see cref="Dispose"/> returns it.
/// </summary>
internal sealed class SpawnHelperMessage : IDisposable
{
    public const uint Magic = 0x31485342;
    public const uint SpawnOperation = 1;
    public const uint CleanOperation = 2;
    public const int HeaderSize = 9 * sizeof(uint);
    public const int ReplySize = 4 * sizeof(int);

    /// <summary>The helper refuses larger requests; argv and environment together stay far below this in practice.</summary>
    public const int MaxStringBytes = 16 * 1024 * 1024;

    private byte[]? _buffer;

    private SpawnHelperMessage(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, Length);

    /// <summary>A start request, or the reason it cannot be sent (a NUL inside a string, or too large).</summary>
    public static (SpawnHelperMessage? Message, string? Error) ForSpawn(SpawnRequest request, SpawnHelperFlags flags, string? cgroup)
    {
        var environment = request.Environment.Select(kv => kv.Key + "=" + kv.Value).ToList();
        List<string> strings = [request.Path, request.WorkingDirectory ?? "", cgroup ?? "", .. request.Arguments, .. environment];
        if (request.Account is { } account)
        {
            flags |= SpawnHelperFlags.SwitchAccount;
        }

        return Encode(SpawnOperation, flags, request.Account, request.Umask, request.Arguments.Count, environment.Count, strings);
    }

    /// <summary>A request to clean an account's leftovers, as that account.</summary>
    public static (SpawnHelperMessage? Message, string? Error) ForCleaning(SpawnAccount account, string? home, IReadOnlyList<string> sharedDirectories, bool sweep)
    {
        var flags = SpawnHelperFlags.SwitchAccount | (sweep ? SpawnHelperFlags.SweepShared : 0);
        return Encode(CleanOperation, flags, account, 0, sharedDirectories.Count, 0, [home ?? "", .. sharedDirectories]);
    }

    private static (SpawnHelperMessage? Message, string? Error) Encode(
        uint operation, SpawnHelperFlags flags, SpawnAccount? account, uint umask, int argc, int envc, IReadOnlyList<string> strings)
    {
        var stringBytes = 0L;
        foreach (var text in strings)
        {
            // The helper splits at NUL bytes: one inside a string would shift every string after it.
            if (text.Contains('\0', StringComparison.Ordinal))
            {
                return (null, "an argument or environment variable contains a NUL byte");
            }

            stringBytes += Encoding.UTF8.GetByteCount(text) + 1;
        }

        if (stringBytes > MaxStringBytes)
        {
            return (null, $"the arguments and environment take {stringBytes} bytes, more than the {MaxStringBytes} a start may carry");
        }

        var length = HeaderSize + (int)stringBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        var header = buffer.AsSpan(0, HeaderSize);
        uint[] fields = [Magic, operation, (uint)flags, account?.Uid ?? 0, account?.Gid ?? 0, umask, (uint)argc, (uint)envc, (uint)stringBytes];
        for (var i = 0; i < fields.Length; i++)
        {
            if (BitConverter.IsLittleEndian)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(header[(i * 4)..], fields[i]);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(header[(i * 4)..], fields[i]);
            }
        }

        var offset = HeaderSize;
        foreach (var text in strings)
        {
            offset += Encoding.UTF8.GetBytes(text, buffer.AsSpan(offset));
            buffer[offset++] = 0;
        }

        return (new SpawnHelperMessage(buffer, length), null);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>Request flags (<c>F_*</c> in broker-spawn-helper.c).</summary>
[Flags]
internal enum SpawnHelperFlags : uint
{
    None = 0,
    Terminal = 0x01,
    Script = 0x02,
    SwitchAccount = 0x04,
    TiocstiOptional = 0x08,
    SweepShared = 0x10,
}

/// <summary>The helper's answer: the new process's pid (0 if none) and, on failure, the stage and errno.</summary>
internal readonly record struct SpawnHelperReply(int ProcessId, SpawnHelperStage Stage, int Errno)
{
    public bool Succeeded => Stage == SpawnHelperStage.None;
}
