using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Broker.DevServices.Sts;

/// <summary>
/// AWS STS over the real Query protocol (form-encoded POST, XML in the STS namespace) on
/// 127.0.0.1 and a free port: <c>AssumeRole</c> and <c>GetCallerIdentity</c>. Every request's
/// SigV4 signature is verified against the keys it knows (the base keys it was given and the
/// temporary ones it issued, with their session token); refusals use STS's error codes and
/// shapes. Issued credentials expire on the emulator's <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class StsEmulator : IAsyncDisposable
{
    /// <summary>The account every ARN is in.</summary>
    public const string Account = "123456789012";

    private const string Namespace = "https://sts.amazonaws.com/doc/2011-06-15/";
    private static readonly XNamespace Xmlns = Namespace;

    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, StsPrincipal> _principals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _deniedRoles = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<StsAssumeRoleCall> _assumeRoleCalls = new();
    private readonly ConcurrentQueue<StsCallerIdentityCall> _callerIdentityCalls = new();
    private readonly ConcurrentQueue<StsRejection> _rejections = new();

    private StsEmulator(WebApplication app, TimeProvider time)
    {
        _app = app;
        _time = time;
        BaseCredentials = AddUser("broker");
    }

    /// <summary>The emulator's endpoint, for <c>ServiceURL</c> or <c>--endpoint-url</c>.</summary>
    public Uri ServiceUrl { get; private set; } = null!;

    /// <summary>Long-term keys of the user <c>broker</c>, created at start: the broker's base credentials.</summary>
    public StsPrincipal BaseCredentials { get; }

    /// <summary>Successful AssumeRole calls, in order.</summary>
    public IReadOnlyList<StsAssumeRoleCall> AssumeRoleCalls => _assumeRoleCalls.ToArray();

    /// <summary>Successful GetCallerIdentity calls, in order.</summary>
    public IReadOnlyList<StsCallerIdentityCall> CallerIdentityCalls => _callerIdentityCalls.ToArray();

    /// <summary>Refused requests, in order.</summary>
    public IReadOnlyList<StsRejection> Rejections => _rejections.ToArray();

    /// <summary>Starts the emulator.</summary>
    /// <param name="time">The clock for issued credentials' expiry (default: the system clock).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running emulator.</returns>
    public static async Task<StsEmulator> StartAsync(TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var emulator = new StsEmulator(app, time ?? TimeProvider.System);
        app.Run(emulator.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        emulator.ServiceUrl = new Uri(address.TrimEnd('/') + "/");
        return emulator;
    }

    /// <summary>The temporary keys it issued with id <paramref name="accessKeyId"/> (assumed-role credentials), or null.</summary>
    /// <param name="accessKeyId">The access key id.</param>
    /// <returns>The issued principal.</returns>
    public StsPrincipal? Issued(string accessKeyId) =>
        _principals.TryGetValue(accessKeyId, out var principal) && principal.SessionToken is not null ? principal : null;

    /// <summary>Adds an IAM user with new long-term keys.</summary>
    /// <param name="name">The user name.</param>
    /// <returns>The user's keys.</returns>
    public StsPrincipal AddUser(string name)
    {
        var principal = new StsPrincipal(
            "AKIA" + RandomUpper(16),
            RandomSecret(),
            null,
            $"arn:aws:iam::{Account}:user/{name}",
            "AIDA" + RandomUpper(17),
            null,
            null);
        _principals[principal.AccessKeyId] = principal;
        return principal;
    }

    /// <summary>Makes AssumeRole on <paramref name="roleArn"/> fail with AccessDenied, as for a role whose trust policy excludes the caller.</summary>
    /// <param name="roleArn">The role ARN.</param>
    public void DenyRole(string roleArn) => _deniedRoles[roleArn] = roleArn;

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        var body = buffer.ToArray();
        var form = request.Method == HttpMethods.Post
            ? QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body))
            : QueryHelpers.ParseQuery(request.QueryString.Value);
        var action = form.TryGetValue("Action", out var a) ? a.ToString() : null;

        var authorization = SigV4Authorization.Parse(request.Headers.Authorization.ToString());
        var (principal, error) = Authenticate(context, authorization, body);
        if (principal is null)
        {
            await RejectAsync(context, action, authorization?.AccessKeyId, error!).ConfigureAwait(false);
            return;
        }

        if (form.TryGetValue("Version", out var version) && version != "2011-06-15")
        {
            await RejectAsync(context, action, principal.AccessKeyId, new StsError(400, "InvalidAction", $"Could not find operation {action} for version {version}")).ConfigureAwait(false);
            return;
        }

        var outcome = action switch
        {
            "AssumeRole" => AssumeRole(principal, form),
            "GetCallerIdentity" => GetCallerIdentity(principal),
            _ => (null, new StsError(400, "InvalidAction", $"Could not find operation {action} for version 2011-06-15")),
        };
        if (outcome.Response is null)
        {
            await RejectAsync(context, action, principal.AccessKeyId, outcome.Error!).ConfigureAwait(false);
            return;
        }

        await WriteXmlAsync(context, 200, outcome.Response).ConfigureAwait(false);
    }

    private (StsPrincipal? Principal, StsError? Error) Authenticate(HttpContext context, SigV4Authorization? authorization, byte[] body)
    {
        if (authorization is null)
        {
            return (null, new StsError(403, "MissingAuthenticationToken", "Request is missing Authentication Token"));
        }

        if (!_principals.TryGetValue(authorization.AccessKeyId, out var principal))
        {
            return (null, InvalidClientTokenId);
        }

        var presentedToken = context.Request.Headers["x-amz-security-token"].ToString();
        if (principal.SessionToken is not null &&
            !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presentedToken), Encoding.UTF8.GetBytes(principal.SessionToken)))
        {
            return (null, InvalidClientTokenId);
        }

        if (principal.SessionToken is null && presentedToken.Length > 0)
        {
            return (null, InvalidClientTokenId);
        }

        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        if (authorization.Service != "sts" || !authorization.Verify(context.Request, rawTarget, body, principal.SecretAccessKey))
        {
            return (null, new StsError(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."));
        }

        if (principal.Expiration is { } expiration && _time.GetUtcNow() >= expiration)
        {
            return (null, new StsError(403, "ExpiredToken", "The security token included in the request is expired"));
        }

        return (principal, null);
    }

    private (XElement? Response, StsError? Error) AssumeRole(StsPrincipal caller, Dictionary<string, Microsoft.Extensions.Primitives.StringValues> form)
    {
        string? Get(string name) => form.TryGetValue(name, out var v) ? v.ToString() : null;
        var roleArn = Get("RoleArn");
        var sessionName = Get("RoleSessionName");
        var sourceIdentity = Get("SourceIdentity");
        var policy = Get("Policy");
        var durationText = Get("DurationSeconds");

        var problems = new List<string>();
        if (roleArn is null || RoleArnPattern().Match(roleArn) is not { Success: true })
        {
            problems.Add($"Value '{roleArn}' at 'roleArn' failed to satisfy constraint: Member must be a role ARN");
        }

        if (sessionName is null || sessionName.Length is < 2 or > 64 || !SessionNamePattern().IsMatch(sessionName))
        {
            problems.Add($"Value '{sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64");
        }

        if (sourceIdentity is not null && (sourceIdentity.Length is < 2 or > 64 || !SessionNamePattern().IsMatch(sourceIdentity) || sourceIdentity.StartsWith("aws:", StringComparison.OrdinalIgnoreCase)))
        {
            problems.Add($"Value '{sourceIdentity}' at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64");
        }

        var duration = 3600;
        if (durationText is not null && (!int.TryParse(durationText, NumberStyles.None, CultureInfo.InvariantCulture, out duration) || duration is < 900 or > 43200))
        {
            problems.Add($"Value '{durationText}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200");
        }

        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; Get($"Tags.member.{i}.Key") is { } key; i++)
        {
            var value = Get($"Tags.member.{i}.Value") ?? "";
            if (key.Length is < 1 or > 128 || value.Length > 256 || !TagPattern().IsMatch(key) || !TagPattern().IsMatch(value) ||
                key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase) || tags.Keys.Any(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase)))
            {
                problems.Add($"Tag '{key}' failed to satisfy constraint: key 1-128 and value 0-256 characters of [\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]*, unique, not aws:");
            }

            tags[key] = value;
        }

        if (tags.Count > 50)
        {
            problems.Add("Member must have at most 50 session tags");
        }

        var transitive = new List<string>();
        for (var i = 1; Get($"TransitiveTagKeys.member.{i}") is { } key; i++)
        {
            transitive.Add(key);
        }

        if (problems.Count > 0)
        {
            return (null, new StsError(400, "ValidationError", $"{problems.Count} validation error{(problems.Count == 1 ? "" : "s")} detected: {string.Join("; ", problems)}"));
        }

        if (policy is not null && !IsJsonObject(policy))
        {
            return (null, new StsError(400, "MalformedPolicyDocument", "The policy is not in the valid JSON format."));
        }

        if (policy is not null && policy.Length > 2048)
        {
            return (null, new StsError(400, "PackedPolicyTooLarge", "Packed policy consumes more than 100% of allotted space"));
        }

        ArgumentNullException.ThrowIfNull(roleArn);
        if (_deniedRoles.ContainsKey(roleArn))
        {
            return (null, new StsError(403, "AccessDenied", $"User: {caller.Arn} is not authorized to perform: sts:AssumeRole on resource: {roleArn}"));
        }

        var roleName = roleArn[(roleArn.LastIndexOf('/') + 1)..];
        var roleId = "AROA" + DeterministicUpper(roleArn, 17);
        var expiration = _time.GetUtcNow().AddSeconds(duration);
        var issued = new StsPrincipal(
            "ASIA" + RandomUpper(16),
            RandomSecret(),
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(180)),
            $"arn:aws:sts::{Account}:assumed-role/{roleName}/{sessionName}",
            $"{roleId}:{sessionName}",
            expiration,
            sourceIdentity ?? caller.SourceIdentity);
        _principals[issued.AccessKeyId] = issued;
        _assumeRoleCalls.Enqueue(new StsAssumeRoleCall(caller.AccessKeyId, roleArn, sessionName!, sourceIdentity, tags, transitive, policy, duration, issued));

        var result = new XElement(Xmlns + "AssumeRoleResult");
        if (issued.SourceIdentity is not null)
        {
            result.Add(new XElement(Xmlns + "SourceIdentity", issued.SourceIdentity));
        }

        result.Add(
            new XElement(Xmlns + "AssumedRoleUser", new XElement(Xmlns + "AssumedRoleId", issued.UserId), new XElement(Xmlns + "Arn", issued.Arn)),
            new XElement(
                Xmlns + "Credentials",
                new XElement(Xmlns + "AccessKeyId", issued.AccessKeyId),
                new XElement(Xmlns + "SecretAccessKey", issued.SecretAccessKey),
                new XElement(Xmlns + "SessionToken", issued.SessionToken),
                new XElement(Xmlns + "Expiration", expiration.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture))));
        if (tags.Count > 0 || policy is not null)
        {
            result.Add(new XElement(Xmlns + "PackedPolicySize", Math.Min(99, ((policy?.Length ?? 0) + (tags.Count * 40)) / 25)));
        }

        return (Envelope("AssumeRoleResponse", result), null);
    }

    private (XElement? Response, StsError? Error) GetCallerIdentity(StsPrincipal caller)
    {
        _callerIdentityCalls.Enqueue(new StsCallerIdentityCall(caller.AccessKeyId, caller.Arn));
        return (Envelope(
            "GetCallerIdentityResponse",
            new XElement(
                Xmlns + "GetCallerIdentityResult",
                new XElement(Xmlns + "Arn", caller.Arn),
                new XElement(Xmlns + "UserId", caller.UserId),
                new XElement(Xmlns + "Account", Account))), null);
    }

    private static XElement Envelope(string name, XElement result) => new(
        Xmlns + name,
        result,
        new XElement(Xmlns + "ResponseMetadata", new XElement(Xmlns + "RequestId", Guid.NewGuid().ToString())));

    private Task RejectAsync(HttpContext context, string? action, string? accessKeyId, StsError error)
    {
        _rejections.Enqueue(new StsRejection(action, accessKeyId, error.Code, error.Status));
        var response = new XElement(
            Xmlns + "ErrorResponse",
            new XElement(
                Xmlns + "Error",
                new XElement(Xmlns + "Type", error.Status >= 500 ? "Receiver" : "Sender"),
                new XElement(Xmlns + "Code", error.Code),
                new XElement(Xmlns + "Message", error.Message)),
            new XElement(Xmlns + "RequestId", Guid.NewGuid().ToString()));
        return WriteXmlAsync(context, error.Status, response);
    }

    private static async Task WriteXmlAsync(HttpContext context, int status, XElement element)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/xml";
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        await context.Response.WriteAsync(element.ToString(SaveOptions.DisableFormatting), context.RequestAborted).ConfigureAwait(false);
    }

    private static bool IsJsonObject(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static StsError InvalidClientTokenId => new(403, "InvalidClientTokenId", "The security token included in the request is invalid.");

    private static string RandomUpper(int length) => RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", length);

    private static string RandomSecret() => RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);

    private static string DeterministicUpper(string seed, int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(seed));
        return new string(Enumerable.Range(0, length).Select(i => alphabet[hash[i] % alphabet.Length]).ToArray());
    }

    [GeneratedRegex(@"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")]
    private static partial Regex RoleArnPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_+=,.@-]*$")]
    private static partial Regex SessionNamePattern();

    [GeneratedRegex(@"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$")]
    private static partial Regex TagPattern();

    private sealed record StsError(int Status, string Code, string Message);
}
