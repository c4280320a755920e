using System.Buffers;
using Broker.Masking.Emission;
using Broker.Masking.Text;
using Broker.Masking.Views;

namespace Broker.Masking;

/// <summary>
/// Masks one session's output: every channel the agent sees together (a terminal; or a command's stdout and
/// stderr) goes through one masker, so a secret split across channels is masked on both. Bytes go in as they
/// come, in chunks of any size; everything that can no longer become part of a secret comes out at once, on
/// the channel it came from; the rest is held back (bounded) until it is decided, <see cref="FlushHeld(IMaskedOutput)"/>
/// is called, or the stream completes. The output is read several ways at once (see docs/masking.md): as one
/// line of text, each channel's text, the payloads of OSC/DCS strings, and the terminal screen; a byte is
/// masked when any of them decides so. Not thread-safe: one per session.
/// </summary>
public sealed class StreamingMasker
{
    // Raw compaction copies what is kept to the front; doing it only past this much released text keeps it amortised.
    private const int CompactThreshold = 32 * 1024;
    private const int MaxChannels = 8;

    private readonly MaskingProfile _profile;
    private readonly SecretRegistry _secrets;
    private readonly RawLog _raw = new();
    private readonly MaskPlan _plan = new();
    // The combined view first, then the screen when followed: called directly (see DecideAll); the views added later (string
    // payloads, channels) follow them and are called through the interface.
    private readonly List<IMaskView> _views = [];
    private readonly int _fixedViews;
    private readonly LinearView _combined;
    private readonly ScreenView? _screen;
    private readonly StringPayloads _payloads;
    private readonly MaskEmitter _emitter;
    private readonly SingleOutput _single = new();
    private TerminalParser _parser;
    private LinearView?[]? _channels;
    private long[] _frontiers = new long[4];
    private int _firstChannel = -1;
    private bool _completed;

    internal StreamingMasker(MaskingProfile profile, SecretRegistry secrets, MaskerOptions options)
    {
        _profile = profile;
        _secrets = secrets;
        _combined = new LinearView(profile, secrets) { CarriageReturnEndsLine = options.CarriageReturnEndsLine };
        _parser = new TerminalParser { SeparateRedraws = options.SeparateRedrawEvents };
        _views.Add(_combined);
        if (options.Screen)
        {
            _screen = new ScreenView(profile, secrets, _combined.Text, _plan, options.Columns, options.Rows, options.EagerRedrawCells);
            _views.Add(_screen);
        }

        _fixedViews = _views.Count;

        _payloads = new StringPayloads(extra =>
        {
            var view = new LinearView(profile, secrets, extra);
            _views.Add(view);
            return view;
        });
        _emitter = new MaskEmitter(_raw, _plan, _combined, profile.Replacement);
    }

    /// <summary>Whether bytes are held back waiting for more output; if so, call <see cref="FlushHeld(IMaskedOutput)"/> after <see cref="MaskingProfile.HoldDelay"/> without output.</summary>
    public bool HasHeldBytes => _emitter.Released < _raw.End;

    /// <summary>A snapshot of how many regions each detector masked so far.</summary>
    public IReadOnlyDictionary<string, long> Counts => _emitter.Counts;

    /// <summary>How many times the screen model scanned a row again (a clean redraw is not scanned): for tests and measurements.</summary>
    internal int ScreenRowScans => _screen?.RowScans ?? 0;

    /// <summary>How many times the screen model held back a redraw cut by the end of a bulk push rather than scanning it: for tests.</summary>
    internal int ScreenCutRedrawsHeld => _screen?.CutRedrawsHeld ?? 0;

    /// <summary>Where the screen model keeps the combined text from, and where the combined text starts now: for tests of compaction.</summary>
    internal (long KeepFrom, long TextBase) ScreenCompaction => (_screen?.KeepFrom() ?? long.MaxValue, _combined.Text.Base);

    /// <summary>Takes the next chunk of a single-channel stream and writes to <paramref name="output"/> everything that can be released.</summary>
    public void Push(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output) => Push(0, chunk, _single.To(output));

    /// <summary>Takes the next chunk of <paramref name="channel"/> (0 to 7) and writes everything that can be released, on the channels it came from.</summary>
    public void Push(int channel, ReadOnlySpan<byte> chunk, IMaskedOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(channel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(channel, MaxChannels);
        ObjectDisposedException.ThrowIf(_completed, this);
        if (chunk.IsEmpty)
        {
            return;
        }

        // The chunk's bytes are written out from the caller's span; only what is held back is copied into the raw log.
        var start = _raw.Stage(channel, chunk.Length);
        Route(channel, chunk, start);
        Process(output, final: false, chunk);
        _raw.Keep(chunk, _emitter.Released);
        Compact();
    }

    /// <summary>
    /// No output came within the hold delay: a held candidate that already shows four or more bytes of
    /// something that looks like its secret is masked; shorter or not yet distinctive ones are released.
    /// </summary>
    public void FlushHeld(IBufferWriter<byte> output) => FlushHeld(_single.To(output));

    /// <inheritdoc cref="FlushHeld(IBufferWriter{byte})"/>
    public void FlushHeld(IMaskedOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ObjectDisposedException.ThrowIf(_completed, this);
        FlushViews(output);
        Compact();
    }

    /// <summary>
    /// <paramref name="channel"/> will send nothing more: its own view of the output is decided as it stands
    /// (the other channels' output, and the channels seen together, go on).
    /// </summary>
    public void EndChannel(int channel, IMaskedOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_channels?[channel] is { } view)
        {
            view.FinishParsing();
            view.End();
            Process(output, final: false);
            Compact();
        }
    }

    /// <summary>The terminal's size changed: the screen wraps at the new width.</summary>
    public void Resize(int columns, int rows) => _screen?.Resize(columns, rows);

    /// <summary>End of stream, error or cancellation: a held candidate goes out masked by the same rule, and everything decided goes out.</summary>
    public void Complete(IBufferWriter<byte> output) => Complete(_single.To(output));

    /// <inheritdoc cref="Complete(IBufferWriter{byte})"/>
    public void Complete(IMaskedOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_completed)
        {
            return;
        }

        _parser.Finish(new CombinedSink(_combined, _screen, _payloads));
        foreach (var channel in _channels ?? [])
        {
            // Every channel's own text ends here: decided as it stands, as if its stream had closed.
            channel?.FinishParsing();
            channel?.End();
        }

        Process(output, final: false);
        FlushViews(output);
        _screen?.Finish();
        Process(output, final: true);
        _emitter.Emit(_raw.End, output);
        _completed = true;
        foreach (var view in _views)
        {
            view.Release();
        }

        _raw.Release();
    }

    /// <summary>Feeds the chunk to the combined views and, once several channels have spoken, to its channel's own view.</summary>
    private void Route(int channel, ReadOnlySpan<byte> chunk, long start)
    {
        if (_firstChannel < 0)
        {
            _firstChannel = channel;
        }
        else if (_channels is null && channel != _firstChannel)
        {
            // Until now the combined text was the first channel's own: it goes on as that channel's view.
            _channels = new LinearView?[MaxChannels];
            _channels[_firstChannel] = _combined.Fork(_parser, _firstChannel, _raw);
            _views.Add(_channels[_firstChannel]!);
        }

        _parser.Feed(chunk, start, new CombinedSink(_combined, _screen, _payloads));
        if (_channels is not null)
        {
            if (_channels[channel] is not { } own)
            {
                own = new LinearView(_profile, _secrets, channel, _raw) { CarriageReturnEndsLine = _combined.CarriageReturnEndsLine };
                _channels[channel] = own;
                _views.Add(own);
            }

            own.Feed(chunk, start);
        }
    }

    private void Process(IMaskedOutput output, bool final, ReadOnlySpan<byte> staged = default)
    {
        while (true)
        {
            var frontier = DecideAll(final);
            _emitter.Emit(frontier, output, staged);
            Released();
            if (_raw.End - _emitter.Released <= _profile.MaxHoldBytes)
            {
                return;
            }

            // The hold bound: the views holding the release point back mask their leftmost candidate from its start on.
            var committed = false;
            for (var i = 0; i < _views.Count; i++)
            {
                if (_frontiers[i] <= frontier)
                {
                    committed |= _views[i].Commit(_plan, _raw.End);
                }
            }

            if (!committed)
            {
                return;
            }
        }
    }

    private long DecideAll(bool final)
    {
        if (_frontiers.Length < _views.Count)
        {
            _frontiers = new long[_views.Count * 2];
        }

        // Every push asks every view: the two always there are called directly, as an interface call to two classes from
        // one call site went through the runtime's resolve stub each time.
        var end = _raw.End;
        _frontiers[0] = _combined.Decide(_plan, end, final);
        var frontier = Math.Min(end, _frontiers[0]);
        if (_screen is not null)
        {
            _frontiers[1] = _screen.Decide(_plan, end, final);
            frontier = Math.Min(frontier, _frontiers[1]);
        }

        for (var i = _fixedViews; i < _views.Count; i++)
        {
            _frontiers[i] = _views[i].Decide(_plan, end, final);
            frontier = Math.Min(frontier, _frontiers[i]);
        }

        // An escape sequence not yet whole waits: what it will do to the screen is not known yet.
        return _parser.PendingSequence is >= 0 and var pending && !final ? Math.Min(frontier, pending) : frontier;
    }

    private void FlushViews(IMaskedOutput output)
    {
        foreach (var view in _views)
        {
            view.Flush(_plan, _raw.End);
        }

        _emitter.Emit(_raw.End, output);
        Released();
    }

    private void Released()
    {
        var released = _emitter.Released;
        _combined.Released(released);
        _screen?.Released(released);
        for (var i = _fixedViews; i < _views.Count; i++)
        {
            _views[i].Released(released);
        }

        _plan.DropBefore(_emitter.Released);
    }

    private void Compact()
    {
        if (_emitter.Released - _raw.Base >= CompactThreshold)
        {
            _raw.Compact(_emitter.Released);
        }

        // The screen's bound can only keep more of the combined text: it is found (a search for the row's start) only when
        // the combined text has enough to drop without it.
        _combined.Compact(_screen?.KeepFrom(compacting: _combined.CanCompact) ?? long.MaxValue);
        _screen?.Compact(long.MaxValue);
        for (var i = _fixedViews; i < _views.Count; i++)
        {
            _views[i].Compact(long.MaxValue);
        }
    }

    /// <summary>A single stream's writer seen as channel 0 of a multi-channel output.</summary>
    private sealed class SingleOutput : IMaskedOutput
    {
        private IBufferWriter<byte>? _writer;

        public SingleOutput To(IBufferWriter<byte> writer)
        {
            ArgumentNullException.ThrowIfNull(writer);
            _writer = writer;
            return this;
        }

        public IBufferWriter<byte> Channel(int channel) => _writer!;
    }
}
