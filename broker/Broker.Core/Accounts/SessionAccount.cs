namespace Broker.Core.Accounts;

/// <summary>An account target programs run as: who it is and where its home is.</summary>
/// <param name="Name">The account's name (USER and LOGNAME of its programs).</param>
/// <param name="Uid">User id.</param>
/// <param name="Gid">Primary group id (supplementary groups are always dropped).</param>
/// <param name="Home">Home directory (HOME of its programs).</param>
public sealed record SessionAccount(string Name, uint Uid, uint Gid, string Home);
