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
                _assembler.Feed(keys, _echo, _lines);
                _echo.ResetWrittenCount();
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
                    _assembler.Reset();
                    _lines.Clear();
                    break;
                case ShellMarkerKind.CommandStart when _atPrompt:
                    _atPrompt = false;
                    var text = string.Join('\n', _lines).Trim();
                    _lines.Clear();
                    _assembler.Reset();
                    if (text.Length > 0)
                    {
                        var decision = _access.Decide(_roles.Current, CommandInput.Script(text));
                        _lastCommand = _journal.Command(CommandRecords.Audited(text, decision));
                    }

                    break;
            }
        }
    }
}
