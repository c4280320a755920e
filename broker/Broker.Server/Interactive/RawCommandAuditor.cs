using System.Buffers;
using Broker.Core.Interactive;
using Broker.Core.Sessions;
using Broker.Policy;
using Broker.Server.Access;
using Broker.Server.Recording;

namespace Broker.Server.Interactive;

/// <summary>
/// Audits a raw terminal: keystrokes pass straight through, but those typed at the prompt (between
/// the shell's prompt-shown and command-start markers) are rebuilt into the command line, which is
/// recorded with what the policy would have decided and, at the next prompt, its exit status. The
/// text is rebuilt from keystrokes as a plain line editor would; readline features (history recall,
/// completion, cursor movement) can make it differ, and the raw input is in the recording as well.
/// What is typed at one prompt is kept up to <see cref="CommandLineAssembler.MaxCommandBytes"/>; past that the
/// auditor keeps only the start and records it as cut (the keystrokes still reach the shell, which is not enforced).
/// </summary>
internal sealed class RawCommandAuditor
{
    private readonly Lock _gate = new();
    private readonly ShellIntegration _integration;
    private readonly IAccessPolicy _access;
    private readonly SessionRoles _roles;
    private readonly RecordingJournal _journal;
    private readonly CommandLineAssembler _assembler = new();
    private readonly ArrayBufferWriter<byte> _echo = new(256);
    private readonly List<string> _lines = [];
    private readonly List<string> _fed = new(1);
    // Characters in _lines; with the assembler's own cap this bounds what one prompt can make the auditor hold.
    private int _linesLength;
    // What was typed at this prompt passed the cap: the record says the text was cut.
    private bool _cut;
    private bool _atPrompt;
    private long? _lastCommand;

    public RawCommandAuditor(ShellIntegration integration, IAccessPolicy access, SessionRoles roles, RecordingJournal journal)
    {
        _integration = integration;
        _access = access;
        _roles = roles;
        _journal = journal;
    }

    /// <summary>The output filter that strips this session's prompt markers and feeds them here.</summary>
    public IOutputFilter CreateMarkerFilter() => new ShellMarkerFilter(_integration.Nonce, OnMarker);

    /// <summary>Sees the keystrokes that were passed to the terminal.</summary>
    public void Keys(ReadOnlySpan<byte> keys)
    {
        lock (_gate)
        {
            if (_atPrompt)
            {
                _cut |= _assembler.Feed(keys, _echo, _fed) > 0;
                _echo.ResetWrittenCount();
                foreach (var line in _fed)
                {
                    if (_linesLength + line.Length > CommandLineAssembler.MaxCommandBytes)
                    {
                        _cut = true;
                        break;
                    }

                    _lines.Add(line);
                    _linesLength += line.Length;
                }

                _fed.Clear();
            }
        }
    }

    private void OnMarker(ShellMarker marker)
    {
        lock (_gate)
        {
            switch (marker.Kind)
            {
                case ShellMarkerKind.PromptStart:
                    if (_lastCommand is { } command && marker.ExitStatus is { } status)
                    {
                        _journal.CommandExit(command, status);
                    }

                    _lastCommand = null;
                    _atPrompt = false;
                    break;
                case ShellMarkerKind.PromptEnd:
                    _atPrompt = true;
                    Forget();
                    break;
                case ShellMarkerKind.CommandStart when _atPrompt:
                    _atPrompt = false;
                    var text = string.Join('\n', _lines).Trim();
                    var cut = _cut;
                    Forget();
                    if (cut)
                    {
                        // Deciding the start alone could name a verdict the whole line would not get.
                        _lastCommand = _journal.Command(CommandRecords.AuditCut(text));
                    }
                    else if (text.Length > 0)
                    {
                        var decision = _access.Decide(_roles.Current, CommandInput.Script(text));
                        _lastCommand = _journal.Command(CommandRecords.Audited(text, decision));
                    }

                    break;
            }
        }
    }

    private void Forget()
    {
        _assembler.Reset();
        _lines.Clear();
        _linesLength = 0;
        _cut = false;
    }
}
