using System.Globalization;

namespace Recorder.ObjectStore;

/// <summary>
/// A bucket and the key prefix under which a broker keeps its recordings and public keys. The layout:
/// <c>&lt;prefix&gt;/recordings/&lt;session id&gt;/&lt;offset&gt;</c>, one object per uploaded byte range of a
/// recording (the offset, zero-padded to 20 digits, is where the range starts in the recording, so the
/// keys sort in order and a recording is its objects concatenated), and <c>&lt;prefix&gt;/keys/&lt;key id&gt;.pem</c>
/// for each signing key's public half.
/// </summary>
/// <param name="Bucket">The bucket's name.</param>
/// <param name="Prefix">The key prefix, without a leading or trailing slash; empty for the bucket's root.</param>
public sealed record BucketAddress(string Bucket, string Prefix)
{
    /// <summary>The scheme of a recording's location in a bucket: <c>s3://bucket/prefix/recordings/session-id</c>.</summary>
    public const string Scheme = "s3://";

    private const string RecordingsFolder = "recordings/";
    private const string KeysFolder = "keys/";

    /// <summary>Where every recording's objects start.</summary>
    public string RecordingsPrefix => Root + RecordingsFolder;

    private string Root => Prefix.Length == 0 ? "" : Prefix + "/";

    /// <summary>The prefix of one recording's objects (ends with a slash).</summary>
    public string PartsPrefix(string sessionId) => RecordingsPrefix + sessionId + "/";

    /// <summary>The key of the object holding a recording's bytes from <paramref name="offset"/> on.</summary>
    public string PartKey(string sessionId, long offset) => PartsPrefix(sessionId) + offset.ToString("D20", CultureInfo.InvariantCulture);

    /// <summary>The key of a signing key's public half (PEM).</summary>
    public string PublicKeyKey(string keyIdHex) => Root + KeysFolder + keyIdHex + ".pem";

    /// <summary>How a recording in this bucket is named in the broker's index and given to <c>replay</c>.</summary>
    public string LocationOf(string sessionId) => Scheme + Bucket + "/" + RecordingsPrefix + sessionId;

    /// <summary>Reads a part's start offset from its key; false for a key that is not a part of that recording.</summary>
    public bool TryParsePart(string sessionId, string key, out long offset)
    {
        offset = 0;
        var prefix = PartsPrefix(sessionId);
        return key.StartsWith(prefix, StringComparison.Ordinal)
            && key.Length == prefix.Length + 20
            && long.TryParse(key.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
    }

    /// <summary>
    /// Splits <c>s3://bucket/prefix/recordings/session-id</c> into the bucket address and the session id;
    /// false when <paramref name="location"/> is not a recording's location in a bucket.
    /// </summary>
    public static bool TryParseLocation(string location, out BucketAddress address, out string sessionId)
    {
        ArgumentNullException.ThrowIfNull(location);
        address = new BucketAddress("", "");
        sessionId = "";
        if (!location.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = location[Scheme.Length..].TrimEnd('/');
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var marker = rest.LastIndexOf("/" + RecordingsFolder, StringComparison.Ordinal);
        if (slash <= 0 || marker < slash)
        {
            return false;
        }

        var id = rest[(marker + 1 + RecordingsFolder.Length)..];
        if (!IsSessionId(id))
        {
            return false;
        }

        address = new BucketAddress(rest[..slash], marker == slash ? "" : rest[(slash + 1)..marker]);
        sessionId = id;
        return true;
    }

    /// <summary>True for what a session id can be (letters, digits and dashes): anything else never names a key.</summary>
    public static bool IsSessionId(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
