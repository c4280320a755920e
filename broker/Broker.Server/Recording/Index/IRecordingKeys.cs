namespace Broker.Server.Recording;

/// <summary>
/// The public keys that signed recordings, by key id (the <c>signingKeyId</c> of a recording's header), for
/// verifying a recording another replica made. The embedded broker has only its own key and no such store.
/// </summary>
internal interface IRecordingKeys
{
    /// <summary>The public key (PEM) with <paramref name="keyId"/>, or null when none was published.</summary>
    string? Find(string keyId);
}
