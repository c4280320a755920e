namespace Broker.DevServices.Sts;

/// <summary>Credentials the emulator knows: long-term keys it was given, or temporary ones it issued.</summary>
/// <param name="AccessKeyId">The access key id.</param>
/// <param name="SecretAccessKey">The secret.</param>
/// <param name="SessionToken">The session token, for temporary credentials.</param>
/// <param name="Arn">The principal the key belongs to (a user, or an assumed-role session).</param>
/// <param name="UserId">What GetCallerIdentity reports as UserId.</param>
/// <param name="Expiration">When temporary credentials stop working.</param>
/// <param name="SourceIdentity">The source identity set when the role was assumed.</param>
public sealed record StsPrincipal(
    string AccessKeyId,
    string SecretAccessKey,
    string? SessionToken,
    string Arn,
    string UserId,
    DateTimeOffset? Expiration,
    string? SourceIdentity);

/// <summary>One successful AssumeRole call, exactly as the emulator received it.</summary>
/// <param name="CallerAccessKeyId">The key that signed the request.</param>
/// <param name="RoleArn">RoleArn.</param>
/// <param name="RoleSessionName">RoleSessionName.</param>
/// <param name="SourceIdentity">SourceIdentity, if sent.</param>
/// <param name="Tags">Tags.member.N.Key/Value.</param>
/// <param name="TransitiveTagKeys">TransitiveTagKeys.member.N.</param>
/// <param name="Policy">The inline session policy, if sent.</param>
/// <param name="DurationSeconds">DurationSeconds (3600 when not sent).</param>
/// <param name="Issued">The credentials it returned.</param>
public sealed record StsAssumeRoleCall(
    string CallerAccessKeyId,
    string RoleArn,
    string RoleSessionName,
    string? SourceIdentity,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<string> TransitiveTagKeys,
    string? Policy,
    int DurationSeconds,
    StsPrincipal Issued);

/// <summary>One successful GetCallerIdentity call.</summary>
/// <param name="AccessKeyId">The key that signed it.</param>
/// <param name="Arn">The ARN returned.</param>
public sealed record StsCallerIdentityCall(string AccessKeyId, string Arn);

/// <summary>One refused request.</summary>
/// <param name="Action">The Action parameter, if any.</param>
/// <param name="AccessKeyId">The key named in the Authorization header, if any.</param>
/// <param name="ErrorCode">The STS error code returned.</param>
/// <param name="StatusCode">The HTTP status returned.</param>
public sealed record StsRejection(string? Action, string? AccessKeyId, string ErrorCode, int StatusCode);
