using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Broker.Identity.Aws;

/// <summary>The response body of the AWS container-credentials endpoint, as the AWS SDKs and CLI read it.</summary>
public static class ContainerCredentialsJson
{
    /// <summary>Serializes <paramref name="credentials"/> as <c>{"AccessKeyId","SecretAccessKey","Token","Expiration"}</c>, the expiry in ISO 8601 UTC.</summary>
    /// <param name="credentials">The credentials.</param>
    /// <returns>The JSON text.</returns>
    public static string Serialize(SessionCredentials credentials)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        Write(credentials, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes the JSON of <paramref name="credentials"/> to <paramref name="output"/>.</summary>
    /// <param name="credentials">The credentials.</param>
    /// <param name="output">Where the UTF-8 JSON goes.</param>
    public static void Write(SessionCredentials credentials, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteString("AccessKeyId", credentials.AccessKeyId);
        writer.WriteString("SecretAccessKey", credentials.SecretAccessKey);
        writer.WriteString("Token", credentials.SessionToken);
        writer.WriteString("Expiration", credentials.Expiration.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        writer.WriteEndObject();
    }
}
