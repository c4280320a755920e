namespace Replay.Player;

/// <summary>How to play: speed factor, longest idle gap, the window in nanoseconds, and whether every escape sequence passes.</summary>
internal sealed record PlaybackOptions(double Speed, TimeSpan? IdleLimit, long FromNanoseconds, long ToNanoseconds, bool PassEscapes = false);
