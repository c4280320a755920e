namespace Broker.Integration.Tests.Fixtures;

/// <summary>A fact that needs root (mounting a file system); it is skipped, with the reason, for anyone else.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Environment.UserName != "root")
        {
            Skip = "needs root to mount a loop file system";
        }
    }
}
