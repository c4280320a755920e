using System.Buffers;

namespace Broker.Masking;

/// <summary>
/// Where a masker writes the output of several channels seen as one (a command's stdout and stderr): runs of
/// bytes, each for one channel, in order. The writer returned for a channel must be written to before the next
/// call, which may start a new run.
/// </summary>
public interface IMaskedOutput
{
    /// <summary>The writer for the next bytes of <paramref name="channel"/>.</summary>
    IBufferWriter<byte> Channel(int channel);
}
