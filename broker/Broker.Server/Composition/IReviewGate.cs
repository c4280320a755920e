using Broker.Policy;

namespace Broker.Server.Composition;

/// <summary>A command the policy decided <c>review</c>: a human must approve it before it runs.</summary>
/// <param name="Caller">Who asked for the command (the requester, who never approves it).</param>
/// <param name="SessionId">The session the command would run in.</param>
/// <param name="Target">Where the command would run.</param>
/// <param name="Roles">The roles it was decided under.</param>
/// <param name="Command">The command's exact text as it was decided.</param>
/// <param name="Decision">The policy's decision (verdict <see cref="Verdict.Review"/>, its rule and reason).</param>
internal sealed record ReviewRequest(CallerIdentity Caller, string SessionId, string Target, IReadOnlyList<string> Roles, string Command, Decision Decision);

/// <summary>
/// The one seam where commands held for review are decided: every <c>review</c> decision of an exec goes through it
/// before anything runs. It answers with the decision that stands: <see cref="Verdict.Allow"/> runs the command,
/// anything else refuses it. The approval workflow plugs in here.
/// </summary>
internal interface IReviewGate
{
    /// <summary>Holds <paramref name="request"/> until it is decided; the returned decision is final for this run.</summary>
    ValueTask<Decision> ReviewAsync(ReviewRequest request, CancellationToken cancellationToken);
}

/// <summary>No approval workflow: a command that needs a human does not run (the refusal says approval is required).</summary>
internal sealed class RefusingReviewGate : IReviewGate
{
    public ValueTask<Decision> ReviewAsync(ReviewRequest request, CancellationToken cancellationToken) => ValueTask.FromResult(request.Decision);
}
