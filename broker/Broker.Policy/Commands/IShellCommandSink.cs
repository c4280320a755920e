namespace Broker.Policy.Commands;

/// <summary>
/// Takes the simple commands of a script one by one as the parser reads them, so that a large script is decided
/// command by command instead of being held whole (see <see cref="ShellParser.Parse(string, IShellCommandSink)"/>).
/// </summary>
internal interface IShellCommandSink
{
    /// <summary>The next simple command, in the order bash would meet them (a substitution's commands before its own).</summary>
    void Add(SimpleCommand command);

    /// <summary>The script is read again from the start: forget every command given so far.</summary>
    void Restart();
}
