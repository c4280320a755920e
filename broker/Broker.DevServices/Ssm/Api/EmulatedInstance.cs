namespace Broker.DevServices.Ssm.Api;

/// <summary>A managed instance the emulator lists and opens sessions on (all of them are this machine).</summary>
/// <param name="InstanceId">The id.</param>
/// <param name="Tags">Its tags.</param>
/// <param name="PingStatus">Online, ConnectionLost or Inactive; sessions open only on Online ones.</param>
public sealed record EmulatedInstance(string InstanceId, IReadOnlyDictionary<string, string> Tags, string PingStatus = "Online");

/// <summary>A Session document the emulator knows.</summary>
/// <param name="Name">The document name.</param>
/// <param name="SessionType">Standard_Stream, InteractiveCommands or NonInteractiveCommands.</param>
/// <param name="CommandParameter">The parameter that carries the command, for command documents.</param>
/// <param name="SeparateOutputStream">Whether a non-interactive command's stderr and exit code come as their own payload types.</param>
public sealed record SessionDocument(string Name, string SessionType, string? CommandParameter, bool SeparateOutputStream = false)
{
    /// <summary>The documents AWS provides that the broker uses, and one with separate streams.</summary>
    public static IReadOnlyList<SessionDocument> Defaults { get; } =
    [
        new("SSM-SessionManagerRunShell", "Standard_Stream", null),
        new("AWS-StartInteractiveCommand", "InteractiveCommands", "command"),
        new("AWS-StartNonInteractiveCommand", "NonInteractiveCommands", "command"),
        new("Emulator-StartNonInteractiveCommandSeparateStreams", "NonInteractiveCommands", "command", SeparateOutputStream: true),
    ];
}

/// <summary>One API call the emulator answered.</summary>
/// <param name="Operation">StartSession, ResumeSession, TerminateSession or DescribeInstanceInformation.</param>
/// <param name="AccessKeyId">The key that signed it (null when the signature was missing).</param>
/// <param name="Request">The request body.</param>
/// <param name="ErrorCode">The error returned, or null on success.</param>
public sealed record ApiCall(string Operation, string? AccessKeyId, string Request, string? ErrorCode);
