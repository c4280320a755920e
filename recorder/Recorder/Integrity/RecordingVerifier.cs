using System.Globalization;
using System.Security.Cryptography;
using Recorder.Format;
using Recorder.Integrity;

namespace Recorder;

/// <summary>Checks a recording's structure, hash chain and signatures against the broker's public key.</summary>
public static class RecordingVerifier
{
    /// <summary>Verifies a recording read from the current position of <paramref name="recording"/> to its end.</summary>
    /// <param name="recording">The recording.</param>
    /// <param name="publicKeyPem">The broker's public key (a "PUBLIC KEY" PEM, as exported by <see cref="RecordingSigningKey.ExportPublicKeyPem"/>).</param>
    /// <exception cref="ArgumentException">The public key is not a P-256 public key PEM.</exception>
    public static VerificationResult Verify(Stream recording, string publicKeyPem)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentException.ThrowIfNullOrEmpty(publicKeyPem);
        using var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(publicKeyPem);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"not a usable ECDSA public key: {e.Message}", nameof(publicKeyPem), e);
        }

        if (key.KeySize != 256)
        {
            throw new ArgumentException($"the recording key must be P-256, not {key.KeySize}-bit", nameof(publicKeyPem));
        }

        using var run = new Run(recording, key, RecordingSigningKey.ComputeKeyId(key));
        return run.Verify();
    }

    private sealed class Run(Stream recording, ECDsa key, byte[] keyId) : IDisposable
    {
        private readonly FrameReader _frames = new(recording);
        private readonly SegmentCodec _segments = new();
        private HashChain? _chain;
        private RecordingHeader? _header;
        private long _records;
        private long _lastOffset;
        private long _checkpoint;
        private long _verified;
        private long _verifiedOffset;
        private byte[] _verifiedHash = [];
        private bool _sealed;

        public VerificationResult Verify()
        {
            switch (_frames.ReadMagic())
            {
                case FrameReadStatus.Incomplete:
                    return Truncated("the file ends before its header");
                case FrameReadStatus.Corrupt:
                    return Tampered(0, 0, null, _frames.Error ?? "not a recording");
            }

            var status = _frames.Read(out var first);
            if (status is FrameReadStatus.End or FrameReadStatus.Incomplete)
            {
                return Truncated("the file ends before its header is complete");
            }

            if (status == FrameReadStatus.Corrupt || first.Kind != FrameKind.Header)
            {
                return Tampered(0, 0, 8, "the first frame is not a header");
            }

            _header = HeaderCodec.TryDecode(first.Body.Span, out var headerError);
            if (_header is null)
            {
                return Tampered(0, 0, first.Position, headerError ?? "the header is not valid");
            }

            _chain = new HashChain(first.Body.Span);
            while (true)
            {
                status = _frames.Read(out var frame);
                switch (status)
                {
                    case FrameReadStatus.End when _sealed:
                        return Result(VerificationStatus.IntactAndSealed, $"intact and sealed: {Count(_records, "record")}, {Count(_checkpoint, "signature")}, all valid");
                    case FrameReadStatus.End or FrameReadStatus.Incomplete:
                        return Truncated(status == FrameReadStatus.Incomplete ? "the last frame is incomplete" : "there is no seal");
                    case FrameReadStatus.Corrupt:
                        return Tampered(_verified, _records, _frames.Position, _frames.Error ?? "corrupt frame");
                }

                if (_sealed)
                {
                    return Tampered(_records, _records, frame.Position, "data follows the seal");
                }

                var failure = frame.Kind switch
                {
                    FrameKind.Segment => CheckSegment(frame),
                    FrameKind.Checkpoint or FrameKind.Seal => CheckCheckpoint(frame),
                    _ => Tampered(_records, _records, frame.Position, "a second header frame"),
                };
                if (failure is not null)
                {
                    return failure;
                }
            }
        }

        public void Dispose()
        {
            _segments.Dispose();
            _chain?.Dispose();
        }

        private VerificationResult? CheckSegment(Frame frame)
        {
            if (!_segments.TryDecode(frame.Body.Span, out var info, out var records, out var error))
            {
                return Tampered(_records, _records, frame.Position, $"segment starting at record {_records}: {error}");
            }

            if (info.FirstRecord != _records)
            {
                var what = info.FirstRecord > _records ? "records are missing before it" : "records are repeated or out of order";
                return Tampered(_verified, _records, frame.Position, $"segment claims to start at record {info.FirstRecord} but record {_records} is next: {what}");
            }

            var span = records.Span;
            var position = 0;
            var count = 0;
            while (position < span.Length)
            {
                if (!RecordScanner.TryRead(span, position, out var record, out error))
                {
                    return Tampered(_records, _records, frame.Position, $"record {_records}: {error}");
                }

                if (record.OffsetNanoseconds < _lastOffset)
                {
                    return Tampered(_verified, _records, frame.Position, $"record {_records}: its time offset goes backwards (records reordered)");
                }

                // Decoded to check it parses; data is not copied, as the event is dropped at once.
                if (RecordCodec.TryDecode(_records, record.Type, record.OffsetNanoseconds, records.Slice(record.PayloadStart, record.PayloadLength), copyData: false, out error) is null)
                {
                    return Tampered(_records, _records, frame.Position, $"record {_records}: {error}");
                }

                _chain!.Append(span.Slice(record.Start, record.Length));
                _lastOffset = record.OffsetNanoseconds;
                _records++;
                count++;
                position += record.Length;
            }

            return count == info.RecordCount
                ? null
                : Tampered(_records - count, _records - 1, frame.Position, $"segment declares {info.RecordCount} records but holds {count}");
        }

        private VerificationResult? CheckCheckpoint(Frame frame)
        {
            var name = frame.Kind == FrameKind.Seal ? "seal" : "checkpoint";
            var expected = _checkpoint + 1;
            var spanEnd = Math.Max(_verified, _records - 1);
            if (!Checkpoint.TryParse(frame.Body.Span, out var checkpoint))
            {
                return Tampered(_verified, spanEnd, frame.Position, $"{name} {expected} has the wrong length");
            }

            if (checkpoint.Ordinal != expected)
            {
                return Tampered(_verified, spanEnd, frame.Position, $"{name} {checkpoint.Ordinal} found where {name} {expected} was expected (a checkpoint was removed or reordered)");
            }

            if (!checkpoint.KeyId.AsSpan().SequenceEqual(keyId))
            {
                return Tampered(_verified, spanEnd, frame.Position, $"{name} {expected} was signed by another key (key id {Convert.ToHexStringLower(checkpoint.KeyId)[..16]}..., expected {Convert.ToHexStringLower(keyId)[..16]}...)");
            }

            if (!Checkpoint.VerifySignature(frame.Kind, frame.Body.Span, key))
            {
                return Tampered(_verified, spanEnd, frame.Position, $"the signature of {name} {expected} is not valid");
            }

            if (checkpoint.RecordCount != _records)
            {
                return Tampered(_verified, spanEnd, frame.Position, $"{name} {expected} covers {checkpoint.RecordCount} records but {_records} precede it (records removed or added)");
            }

            if (!checkpoint.ChainHash.AsSpan().SequenceEqual(_chain!.Current))
            {
                var span = _records > _verified ? $"records {_verified}..{_records - 1}" : "the header";
                return Tampered(_verified, spanEnd, frame.Position, $"{span} do not match the hash signed by {name} {expected} (content changed, removed or reordered)");
            }

            _checkpoint = expected;
            _verified = _records;
            _verifiedOffset = checkpoint.OffsetNanoseconds;
            _verifiedHash = checkpoint.ChainHash;
            _sealed = frame.Kind == FrameKind.Seal;
            return null;
        }

        private VerificationResult Truncated(string why) =>
            Result(VerificationStatus.TruncatedAfterCheckpoint, _checkpoint == 0
                ? $"truncated before the first checkpoint ({why}); {Count(_records, "record")} read, none verifiable"
                : $"intact up to checkpoint {_checkpoint} ({Count(_verified, "record")}), then truncated ({why}); {Count(_records - _verified, "later record")} not signed");

        private VerificationResult Tampered(long first, long last, long? position, string detail) =>
            Result(VerificationStatus.Tampered, $"tampered at record {first}: {detail}") with
            {
                TamperedAtRecord = first,
                TamperedThroughRecord = Math.Max(first, last),
                FilePosition = position,
            };

        /// <summary>"1 record", "2 records".</summary>
        private static string Count(long count, string noun) =>
            string.Create(CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? string.Empty : "s")}");

        private VerificationResult Result(VerificationStatus status, string detail) => new()
        {
            Status = status,
            Detail = detail,
            Header = _header,
            LastValidCheckpoint = _checkpoint,
            VerifiedRecords = _verified,
            VerifiedChainHash = _verifiedHash,
            RecordsRead = _records,
            VerifiedDuration = TimeSpan.FromTicks(_verifiedOffset / 100),
        };
    }
}
