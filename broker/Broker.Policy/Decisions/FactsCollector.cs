using Broker.Policy.Catalog;

namespace Broker.Policy.Decisions;

/// <summary>
/// Collects a command's <see cref="DecisionFacts"/> unit by unit: each value once, in the order first met. Every list has
/// a set beside it, so that a script of many different commands costs the same per command as a short one.
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
        var constructs = new List<Construct>(lineConstructs);
        var seen = new HashSet<Construct>(lineConstructs);
        foreach (var construct in _constructs.Items)
        {
            if (!seen.Contains(construct))
            {
                constructs.Add(construct);
            }
        }

        return new DecisionFacts([.. _programs.Items], [.. _actions.Items], constructs) { Effects = [.. _effects.Items], SecretActions = [.. _secrets.Items] };
    }

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

    /// <summary>A list without repeats, in the order first added.</summary>
    private sealed class DistinctList<T>(IEqualityComparer<T> comparer)
    {
        private readonly HashSet<T> _seen = new(comparer);
        private readonly List<T> _items = [];

        public IReadOnlyList<T> Items => _items;

        public void Add(T value)
        {
            if (_seen.Add(value))
            {
                _items.Add(value);
            }
        }

        public void Clear()
        {
            _seen.Clear();
            _items.Clear();
        }
    }
}
