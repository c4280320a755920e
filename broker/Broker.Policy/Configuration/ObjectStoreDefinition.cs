namespace Broker.Policy;

/// <summary>
/// The <c>server.recording.object_store</c> section: an S3-compatible bucket every recording is copied to as it
/// is signed. Absent, recordings stay in the data directory only.
/// </summary>
public sealed record ObjectStoreDefinition
{
    /// <summary>The bucket's name.</summary>
    public required string Bucket { get; init; }

    /// <summary>The key prefix (no leading or trailing slash); empty for the bucket's root.</summary>
    public string Prefix { get; init; } = "";

    /// <summary>An S3-compatible service's address, or null for AWS S3.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>The region (for an endpoint, the signing region), or null for the SDK's default.</summary>
    public string? Region { get; init; }

    /// <summary>Address the bucket in the path (<c>endpoint/bucket</c>) rather than the host name.</summary>
    public bool PathStyle { get; init; }

    /// <summary>Fixed credentials read when the policy loaded, or null for the SDK's default chain.</summary>
    public ObjectStoreCredentials? Credentials { get; init; }
}

/// <summary>
/// An access key read from files or environment variables when the policy loaded (never written inline in the
/// policy). Not a record: its text form must never show the secret.
/// </summary>
public sealed class ObjectStoreCredentials(string accessKeyId, string secretAccessKey)
{
    /// <summary>The access key id.</summary>
    public string AccessKeyId => accessKeyId;

    /// <summary>The secret access key.</summary>
    public string SecretAccessKey => secretAccessKey;

    /// <summary>Names the key by its id only.</summary>
    public override string ToString() => $"access key {accessKeyId}";
}
