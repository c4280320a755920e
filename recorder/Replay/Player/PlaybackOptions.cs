namespace Replay.Player;

/// <summary>How to play: speed factor, longest idle gap, and the window in nanoseconds.</summary>
internal sealed record PlaybackOptions(double Speed, TimeSpan? IdleLimit, long FromNanoseconds, long ToNanoseconds);
