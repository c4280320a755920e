using Broker.Policy.Catalog;

namespace Broker.Policy.Decisions;

/// <summary>
/// Collects a command's <see cref="DecisionFacts"/> unit by unit: each value once, in the order first met. A long list
/// has a set beside it, so that a script of many different commands costs the same per command as a short one.
/// </summary>
internal sealed class FactsCollector
{
    private readonly DistinctList<string> _programs = new(StringComparer.Ordinal);
    private readonly DistinctList<string> _actions = new(StringComparer.Ordinal);
    private readonly DistinctList<string> _secrets = new(StringComparer.Ordinal);
    private readonly DistinctList<string> _effects = new(StringComparer.Ordinal);
    private readonly DistinctList<Construct> _constructs = new(EqualityComparer<Construct>.Default);

    public void Add(CommandUnit unit)
    {
        foreach (var wrapper in unit.Wrappers)
        {
            _programs.Add(wrapper.Program ?? wrapper.ProgramWord);
            AddEffects(wrapper);
        }

        var name = unit.Target.Program ?? unit.Target.ProgramWord;
        if (name.Length > 0)
        {
            _programs.Add(name);
        }

        AddEffects(unit.Target);
        foreach (var action in unit.Target.AwsActions)
        {
            _actions.Add(action);
        }

        foreach (var action in unit.Target.SecretActions)
        {
            _secrets.Add(action);
        }

        foreach (var construct in unit.Constructs)
        {
            _constructs.Add(construct);
        }
    }

    public void Clear()
    {
        _programs.Clear();
        _actions.Clear();
        _secrets.Clear();
        _effects.Clear();
        _constructs.Clear();
    }

    /// <summary>The facts: the text's own constructs first, then the units' constructs not among them.</summary>
    public DecisionFacts Build(IReadOnlyList<Construct> lineConstructs)
    {
        if (lineConstructs.Count == 0)
        {
            return Facts([.. _constructs.Items]);
        }

        var constructs = new List<Construct>(lineConstructs);
        var seen = new HashSet<Construct>(lineConstructs);
        foreach (var construct in _constructs.Items)
        {
            if (!seen.Contains(construct))
            {
                constructs.Add(construct);
            }
        }

        return Facts(constructs);
    }

    private DecisionFacts Facts(List<Construct> constructs) =>
        new([.. _programs.Items], [.. _actions.Items], constructs) { Effects = [.. _effects.Items], SecretActions = [.. _secrets.Items] };

    private void AddEffects(ResolvedCommand command)
    {
        foreach (var effect in command.Interpretation.Effects)
        {
            if (effect.Kind is not (ArgumentKind.Name or ArgumentKind.Chdir))
            {
                _effects.Add(effect.ToString());
            }
        }
    }

    /// <summary>A list without repeats, in the order first added; a set beside it once it is long enough to need one.</summary>
    private sealed class DistinctList<T>(IEqualityComparer<T> comparer)
    {
        // Most commands have a few facts of each kind: a short list is searched, a longer one gets a set.
        private const int SetFrom = 8;

        private readonly List<T> _items = [];
        private HashSet<T>? _seen;

        public IReadOnlyList<T> Items => _items;

        public void Add(T value)
        {
            if (_seen is not null)
            {
                if (_seen.Add(value))
                {
                    _items.Add(value);
                }

                return;
            }

            foreach (var item in _items)
            {
                if (comparer.Equals(item, value))
                {
                    return;
                }
            }

            _items.Add(value);
            if (_items.Count >= SetFrom)
            {
                _seen = new HashSet<T>(_items, comparer);
            }
        }

        public void Clear()
        {
            _seen = null;
            _items.Clear();
        }
    }
}
