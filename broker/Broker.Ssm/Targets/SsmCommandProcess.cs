using System.IO.Pipelines;
using Broker.Ssm.Api;
using Broker.Ssm.DataChannel;
using Microsoft.Extensions.Logging;

namespace Broker.Ssm.Targets;

/// <summary>
/// One command on an instance through a non-interactive Session Manager session. The command has
/// no standard input (the agent gives it none); its output comes merged on <see cref="SsmSessionProcess.Output"/>,
/// or split with standard error on <see cref="ErrorOutput"/> when the document separates the
/// streams. Its exit status is the wrapper's marker, else the agent's exit-code payload.
/// </summary>
internal sealed class SsmCommandProcess : SsmSessionProcess
{
    internal SsmCommandProcess(SsmSessionApi api, SsmDataChannel channel, ExitStatusMarkerFilter exitMarker, ILogger logger)
        : base(api, channel, exitMarker, logger)
    {
    }

    public override PipeReader? ErrorOutput => Channel.ErrorOutput;

    protected override int ExitCodeWithoutMarker => Channel.AgentExitCode ?? LostExitCode;

    public override ValueTask<bool> WriteInputAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => ValueTask.FromResult(false);

    public override ValueTask CompleteInputAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public override bool Resize(int columns, int rows) => false;

    public override bool SetEcho(bool enabled) => false;
}
