namespace Broker.Masking;

/// <summary>The outcome of <see cref="MaskingProfile.Create"/>: a profile, or the reasons there is none.</summary>
public sealed class MaskingProfileResult
{
    private MaskingProfileResult(MaskingProfile? profile, IReadOnlyList<string> errors)
    {
        Profile = profile;
        Errors = errors;
    }

    /// <summary>The validated profile, when <see cref="Succeeded"/>.</summary>
    public MaskingProfile? Profile { get; }

    /// <summary>One message per problem, each naming the offending detector or setting.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>Whether <see cref="Profile"/> is set.</summary>
    public bool Succeeded => Profile is not null;

    internal static MaskingProfileResult Success(MaskingProfile profile) => new(profile, []);

    internal static MaskingProfileResult Failure(IReadOnlyList<string> errors) => new(null, errors);
}
