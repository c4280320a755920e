namespace Recorder;

/// <summary>Where and why a <see cref="RecordingReader"/> stopped before the end of the file.</summary>
/// <param name="RecordIndex">The first record that could not be read: every record before it was read.</param>
/// <param name="FilePosition">Byte position in the file of the frame where reading stopped.</param>
/// <param name="Reason">What is wrong, in words; may quote the file, so neutralize it before showing it (<see cref="UntrustedText"/>).</param>
/// <param name="BudgetExceeded">
/// True when the file is not (known to be) damaged but reading it further would pass a budget of
/// <see cref="RecordingReaderOptions"/>.
/// </param>
public sealed record RecordingDamage(long RecordIndex, long FilePosition, string Reason, bool BudgetExceeded = false);
