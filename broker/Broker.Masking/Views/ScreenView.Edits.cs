using System.Runtime.CompilerServices;

namespace Broker.Masking.Views;

/// <summary>The cursor movements and edits since the row was last scanned (see <see cref="ScreenView"/>).</summary>
internal sealed partial class ScreenView
{
    /// <summary>
    /// Raw ranges of edits, in order. A progress line adds two per redraw and every line end one, so adding is a store into
    /// an array kept from row to row rather than a list call.
    /// </summary>
    private sealed class Edits
    {
        private (long Start, long End)[] _items = new (long, long)[64];

        public int Count { get; private set; }

        public ReadOnlySpan<(long Start, long End)> Span => _items.AsSpan(0, Count);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(long start, long end)
        {
            var count = Count;
            var items = _items;
            if ((uint)count < (uint)items.Length)
            {
                items[count] = (start, end);
                Count = count + 1;
                return;
            }

            Grow(start, end);
        }

        public void Clear() => Count = 0;

        /// <summary>Forgets every edit but the one given (a whole-row redraw's erase): <see cref="Clear"/> and <see cref="Add"/> in one store.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Only(long start, long end)
        {
            _items[0] = (start, end);
            Count = 1;
        }

        /// <summary>Drops the edits that start before <paramref name="released"/> (they are in order).</summary>
        public void DropBefore(long released)
        {
            var n = 0;
            while (n < Count && _items[n].Start < released)
            {
                n++;
            }

            if (n > 0)
            {
                _items.AsSpan(n, Count - n).CopyTo(_items);
                Count -= n;
            }
        }

        private void Grow(long start, long end)
        {
            Array.Resize(ref _items, _items.Length * 2);
            _items[Count++] = (start, end);
        }
    }
}
