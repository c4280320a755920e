using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Broker.DevServices.Sts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Broker.DevServices.Ssm.Agent;

namespace Broker.DevServices.Ssm.Api;

/// <summary>
/// The SSM API as AWS JSON 1.1: <c>POST /</c> with <c>X-Amz-Target: AmazonSSM.Operation</c>, a JSON
/// body, JSON answers, and errors as <c>{"__type": code, "message": …}</c> with status 400. Every
/// request's SigV4 signature (service <c>ssm</c>, the emulator's region) is verified against the
/// keys it knows, temporary keys with their session token.
/// </summary>
internal sealed class SsmApiHandler
{
    private const string TargetPrefix = "AmazonSSM.";

    private readonly SsmEmulator _emulator;

    public SsmApiHandler(SsmEmulator emulator) => _emulator = emulator;

    public async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        var body = buffer.ToArray();
        var target = context.Request.Headers["X-Amz-Target"].ToString();
        var operation = target.StartsWith(TargetPrefix, StringComparison.Ordinal) ? target[TargetPrefix.Length..] : target;
        var authorization = SigV4Authorization.Parse(context.Request.Headers.Authorization.ToString());
        var request = Encoding.UTF8.GetString(body);
        var problem = Authenticate(context, authorization, body);
        if (problem is not null)
        {
            await FinishAsync(context, new ApiCall(operation, authorization?.AccessKeyId, request, problem.Code), problem, null).ConfigureAwait(false);
            return;
        }

        JsonElement input;
        try
        {
            using var document = JsonDocument.Parse(body.Length == 0 ? "{}"u8.ToArray() : body);
            input = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            await FinishAsync(context, new ApiCall(operation, authorization!.AccessKeyId, request, "SerializationException"), new ApiError("SerializationException", "The request body is not JSON."), null).ConfigureAwait(false);
            return;
        }

        var (error, answer) = operation switch
        {
            "StartSession" => StartSession(input, authorization!.AccessKeyId),
            "ResumeSession" => ResumeSession(input),
            "TerminateSession" => await TerminateSessionAsync(input).ConfigureAwait(false),
            "DescribeInstanceInformation" => DescribeInstanceInformation(input),
            _ => (new ApiError("UnknownOperationException", $"Unknown operation {operation}"), null),
        };
        await FinishAsync(context, new ApiCall(operation, authorization!.AccessKeyId, request, error?.Code), error, answer).ConfigureAwait(false);
    }

    private ApiError? Authenticate(HttpContext context, SigV4Authorization? authorization, byte[] body)
    {
        if (authorization is null)
        {
            return new ApiError("MissingAuthenticationTokenException", "Missing Authentication Token");
        }

        var key = _emulator.Credentials.Find(authorization.AccessKeyId);
        var presented = context.Request.Headers["x-amz-security-token"].ToString();
        if (key is null || (key.SessionToken is null ? presented.Length > 0 :
                !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(key.SessionToken))))
        {
            return new ApiError("UnrecognizedClientException", "The security token included in the request is invalid.");
        }

        if (authorization.Service != "ssm" || authorization.Region != _emulator.Options.Region)
        {
            return new ApiError("InvalidSignatureException", $"Credential should be scoped to a valid region and to service 'ssm', not '{authorization.Region}/{authorization.Service}'.");
        }

        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        return authorization.Verify(context.Request, rawTarget, body, key.SecretAccessKey)
            ? null
            : new ApiError("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.");
    }

    private (ApiError? Error, Action<Utf8JsonWriter>? Answer) StartSession(JsonElement input, string accessKeyId)
    {
        var target = String(input, "Target");
        if (string.IsNullOrEmpty(target))
        {
            return (new ApiError("ValidationException", "1 validation error detected: Value null at 'target' failed to satisfy constraint: Member must not be null"), null);
        }

        var instance = _emulator.Options.Instances.FirstOrDefault(i => i.InstanceId == target);
        if (instance is not { PingStatus: "Online" })
        {
            return (new ApiError("TargetNotConnected", $"{target} is not connected."), null);
        }

        var documentName = String(input, "DocumentName") ?? "SSM-SessionManagerRunShell";
        var document = _emulator.Options.Documents.FirstOrDefault(d => d.Name == documentName);
        if (document is null)
        {
            return (new ApiError("InvalidDocument", $"Document with name {documentName} does not exist."), null);
        }

        var parameters = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (input.TryGetProperty("Parameters", out var given) && given.ValueKind == JsonValueKind.Object)
        {
            foreach (var parameter in given.EnumerateObject())
            {
                if (parameter.Value.ValueKind != JsonValueKind.Array || parameter.Value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
                {
                    return (new ApiError("ValidationException", $"Parameter {parameter.Name} must be a list of strings."), null);
                }

                parameters[parameter.Name] = [.. parameter.Value.EnumerateArray().Select(v => v.GetString()!)];
            }
        }

        if (document.CommandParameter is { } required && !parameters.ContainsKey(required))
        {
            return (new ApiError("InvalidParameters", $"Document {documentName} requires the parameter {required}."), null);
        }

        var unknown = parameters.Keys.FirstOrDefault(name => name != document.CommandParameter);
        if (unknown is not null)
        {
            return (new ApiError("InvalidParameters", $"Document {documentName} does not take the parameter {unknown}."), null);
        }

        var session = _emulator.CreateSession(instance, document, parameters, accessKeyId);
        return (null, writer => WriteSession(writer, session.SessionId, session.CurrentToken, _emulator.StreamUrl(session).AbsoluteUri));
    }

    private (ApiError? Error, Action<Utf8JsonWriter>? Answer) ResumeSession(JsonElement input)
    {
        if (String(input, "SessionId") is not { } id || _emulator.Session(id) is not { } session || session.State == EmulatedSessionState.Ended)
        {
            return (new ApiError("DoesNotExistException", $"Session {String(input, "SessionId")} does not exist or has ended."), null);
        }

        if (session.ResumeTimesOut)
        {
            return (null, writer => WriteSession(writer, session.SessionId, "", ""));
        }

        var token = session.IssueToken();
        return (null, writer => WriteSession(writer, session.SessionId, token, _emulator.StreamUrl(session).AbsoluteUri));
    }

    private async Task<(ApiError? Error, Action<Utf8JsonWriter>? Answer)> TerminateSessionAsync(JsonElement input)
    {
        var id = String(input, "SessionId");
        if (string.IsNullOrEmpty(id))
        {
            return (new ApiError("ValidationException", "1 validation error detected: Value null at 'sessionId' failed to satisfy constraint: Member must not be null"), null);
        }

        if (_emulator.Session(id) is { } session)
        {
            await session.TerminateAsync().ConfigureAwait(false);
        }

        // Terminating a session that is already over (or unknown) succeeds, as the service does.
        return (null, writer => writer.WriteString("SessionId", id));
    }

    private (ApiError? Error, Action<Utf8JsonWriter>? Answer) DescribeInstanceInformation(JsonElement input)
    {
        IEnumerable<EmulatedInstance> found = _emulator.Options.Instances;
        if (input.TryGetProperty("Filters", out var filters) && filters.ValueKind == JsonValueKind.Array)
        {
            foreach (var filter in filters.EnumerateArray())
            {
                var key = String(filter, "Key") ?? "";
                var values = filter.TryGetProperty("Values", out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(e => e.GetString() ?? "").ToHashSet(StringComparer.Ordinal) : [];
                found = key switch
                {
                    "InstanceIds" => found.Where(i => values.Contains(i.InstanceId)),
                    "PingStatus" => found.Where(i => values.Contains(i.PingStatus)),
                    "PlatformTypes" => found.Where(_ => values.Contains("Linux")),
                    "tag-key" => found.Where(i => i.Tags.Keys.Any(values.Contains)),
                    _ when key.StartsWith("tag:", StringComparison.Ordinal) => found.Where(i => i.Tags.TryGetValue(key[4..], out var tag) && values.Contains(tag)),
                    _ => [],
                };
                if (key is not ("InstanceIds" or "PingStatus" or "PlatformTypes" or "tag-key") && !key.StartsWith("tag:", StringComparison.Ordinal))
                {
                    return (new ApiError("InvalidFilterKey", $"The filter key {key} is not valid."), null);
                }
            }
        }

        var all = found.ToList();
        var start = int.TryParse(String(input, "NextToken"), NumberStyles.None, CultureInfo.InvariantCulture, out var offset) ? offset : 0;
        var size = input.TryGetProperty("MaxResults", out var max) && max.TryGetInt32(out var m) ? Math.Clamp(m, 1, 50) : 10;
        var page = all.Skip(start).Take(size).ToList();
        return (null, writer =>
        {
            writer.WriteStartArray("InstanceInformationList");
            foreach (var instance in page)
            {
                writer.WriteStartObject();
                writer.WriteString("InstanceId", instance.InstanceId);
                writer.WriteString("PingStatus", instance.PingStatus);
                writer.WriteString("PlatformType", "Linux");
                writer.WriteString("PlatformName", "Emulated Linux");
                writer.WriteString("AgentVersion", _emulator.Options.AgentVersion);
                writer.WriteString("ResourceType", "EC2Instance");
                writer.WriteNumber("LastPingDateTime", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            if (start + page.Count < all.Count)
            {
                writer.WriteString("NextToken", (start + page.Count).ToString(CultureInfo.InvariantCulture));
            }
        });
    }

    private static void WriteSession(Utf8JsonWriter writer, string sessionId, string token, string streamUrl)
    {
        writer.WriteString("SessionId", sessionId);
        writer.WriteString("TokenValue", token);
        writer.WriteString("StreamUrl", streamUrl);
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private async Task FinishAsync(HttpContext context, ApiCall call, ApiError? error, Action<Utf8JsonWriter>? answer)
    {
        _emulator.Record(call);
        context.Response.ContentType = "application/x-amz-json-1.1";
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        context.Response.StatusCode = error is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest;
        using var body = new MemoryStream();
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            if (error is not null)
            {
                writer.WriteString("__type", error.Code);
                writer.WriteString("message", error.Message);
            }
            else
            {
                answer?.Invoke(writer);
            }

            writer.WriteEndObject();
        }

        await context.Response.Body.WriteAsync(body.ToArray(), context.RequestAborted).ConfigureAwait(false);
    }

    private sealed record ApiError(string Code, string Message);
}
