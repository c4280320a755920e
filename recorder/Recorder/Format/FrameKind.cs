namespace Recorder.Format;

/// <summary>The kind byte that starts every frame.</summary>
internal enum FrameKind : byte
{
    Header = (byte)'H',
    Segment = (byte)'S',
    Checkpoint = (byte)'C',
    Seal = (byte)'Z',
}
