using System.Text;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// A JWT glued to a name or a path by <c>_</c> or <c>-</c> (<c>MY_eyJ…</c>), masked like the other glued heads: whole, at
/// every split point, in three pushes and across two streams; and base64url glued the same way that does not decode to a
/// JSON key left alone.
/// </summary>
public class GluedJwtTests
{
    private static readonly string s_spaced =
        $"{Fake.Base64Url("{ \"alg\": \"RS256\", \"kid\": \"k1\" }")}.{Fake.Base64Url("{ \"sub\": \"agent-7\" }")}.{Fake.Of(Fake.WordDash, 43, 7)}";

    private static readonly string[] s_jwts = [SecretCorpus.Jwt, s_spaced];

    private static readonly string[] s_glues = ["export MY_", "AUTH-", "path/v1/tok_", "x-api-", "ID_TOKEN_", "abc_def-"];

    public static TheoryData<string, int> Glued()
    {
        var data = new TheoryData<string, int>();
        foreach (var glue in s_glues)
        {
            data.Add(glue, 0);
            data.Add(glue, 1);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Glued))]
    public void A_jwt_glued_to_a_name_or_a_path_is_masked_whole(string glue, int jwt)
    {
        var text = $"{glue}{s_jwts[jwt]}\nnext line\n";

        var run = Mask.Run(text);

        run.Output.Should().Be($"{glue}[MASKED:jwt]\nnext line\n");
        run.Counts.Should().ContainKey("jwt");
    }

    [Fact]
    public void Glued_jwts_are_masked_the_same_at_every_split_point_and_in_three_pushes()
    {
        var text = $"x=1 export MY_{SecretCorpus.Jwt} ok\n/srv/releases/2026/AUTH-{s_spaced}/bin\nID_TOKEN_{SecretCorpus.Jwt}";
        var input = SecretCorpus.Bytes(text);
        var whole = Mask.Run(input, Mask.Whole(input));
        whole.Counts["jwt"].Should().Be(3);
        whole.ShouldNotLeak(s_jwts);

        // A glued head is held once it is whole: a cut one or two bytes into it releases them, and the rest is masked.
        var heads = s_jwts.SelectMany(j => AllIndexes(text, j)).ToArray();
        for (var at = 1; at < input.Length; at++)
        {
            var second = (at * 13) % input.Length;
            int[] three = second > 0 && second < at ? [second, at - second, input.Length - at] : [at, input.Length - at];
            var split = Mask.Run(input, Mask.SplitAt(input, at));
            var run = Mask.Run(input, three);
            split.ShouldNotLeak(s_jwts);
            run.ShouldNotLeak(s_jwts);
            split.Counts["jwt"].Should().Be(3, $"split at {at}");
            if (!heads.Any(h => (at > h && at < h + 3) || (second > h && second < h + 3)))
            {
                split.Output.Should().Be(whole.Output, $"split at {at}");
                run.Output.Should().Be(whole.Output, $"split at {string.Join(",", three)}");
            }
        }
    }

    [Fact]
    public void A_glued_jwt_cut_inside_its_head_shows_at_most_the_bytes_before_the_cut()
    {
        foreach (var jwt in s_jwts)
        {
            var text = $"export MY_{jwt}\nok\n";
            var input = SecretCorpus.Bytes(text);
            var head = text.IndexOf(jwt, StringComparison.Ordinal);
            foreach (var options in new[] { MaskerOptions.Default, MaskerOptions.TextOnly })
            {
                for (var at = head + 1; at <= head + 3; at++)
                {
                    var run = ChannelRun.Of([(1, input[..at]), (1, input[at..])], options: options);
                    run.ShouldNotLeak(jwt);
                    // One or two bytes of the head are released; once all three are there, the head is held whole.
                    var shown = at - head < 3 ? jwt[..(at - head)] : string.Empty;
                    run.Text(1).Should().Be($"export MY_{shown}[MASKED:jwt]\nok\n");
                }
            }
        }
    }

    [Fact]
    public void A_glued_jwt_cut_anywhere_with_the_hold_delay_passing_shows_no_four_bytes()
    {
        // The hold delay fires after every push: whatever a cut left held goes out by the flush rule, and the rest is masked.
        foreach (var jwt in s_jwts)
        {
            var text = $"export MY_{jwt}\nnext\n";
            var input = SecretCorpus.Bytes(text);
            for (var at = 1; at < input.Length; at++)
            {
                var (output, _) = Mask.OnScreen(input, Mask.SplitAt(input, at), flush: true);
                new MaskRun(Encoding.UTF8.GetString(output), [output], new Dictionary<string, long>()).ShouldNotLeak(jwt);
                Encoding.UTF8.GetString(output).Should().Contain("[MASKED:jwt]", $"split at {at}");
            }
        }
    }

    [Fact]
    public void A_glued_jwt_split_across_two_streams_is_masked_at_every_point()
    {
        // The name on one stream and the token on the other read as one glued token on the agent's terminal.
        var text = $"export MY_{SecretCorpus.Jwt}\n";
        var input = SecretCorpus.Bytes(text);
        for (var at = 1; at < input.Length; at++)
        {
            var run = ChannelRun.Of([(1, input[..at]), (2, input[at..]), (2, "done\n"u8.ToArray())]);
            run.ShouldNotLeak(SecretCorpus.Jwt);
            run.Counts.Should().ContainKey("jwt", $"split at {at}");
        }
    }

    [Fact]
    public void Glued_jwts_on_two_streams_leak_nothing_whatever_the_pushes()
    {
        string[] ordinary = ["commit 0123456789abcdef0123456789abcdef01234567\n", "see the docs ", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d ", "ok\n", "x=1 "];
        for (var seed = 0; seed < 40; seed++)
        {
            var random = new Random(seed);
            var pushes = new List<(int Channel, byte[] Bytes)>();
            foreach (var channel in new[] { 1, 2 })
            {
                var text = new StringBuilder();
                for (var line = 0; line < 10; line++)
                {
                    text.Append(ordinary[random.Next(ordinary.Length)]);
                    if (random.Next(3) == 0)
                    {
                        text.Append(s_glues[random.Next(s_glues.Length)]).Append(s_jwts[random.Next(s_jwts.Length)]).Append('\n');
                    }
                }

                var bytes = Encoding.UTF8.GetBytes(text.ToString());
                for (var offset = 0; offset < bytes.Length;)
                {
                    var size = Math.Min(bytes.Length - offset, 1 + random.Next(random.Next(2) == 0 ? 9 : 200));
                    pushes.Add((channel, bytes[offset..(offset + size)]));
                    offset += size;
                }
            }

            var queues = pushes.GroupBy(p => p.Channel).Select(g => new Queue<(int, byte[])>(g)).ToList();
            var ordered = new List<(int Channel, byte[] Bytes)>();
            while (queues.Any(q => q.Count > 0))
            {
                var open = queues.Where(q => q.Count > 0).ToList();
                ordered.Add(open[random.Next(open.Count)].Dequeue());
            }

            ChannelRun.Of(ordered, options: MaskerOptions.TextOnly).ShouldNotLeak(s_jwts);
            ChannelRun.Of(ordered).ShouldNotLeak(s_jwts);
        }
    }

    [Fact]
    public void Base64url_glued_to_a_name_that_does_not_open_a_json_key_stays()
    {
        // Each has a header of `eyJ` and three dot-separated base64url parts, as a JWT does; glued by `_` or `-`, only a
        // header that decodes to a brace, a quoted key and a colon counts.
        var noKey = $"{Fake.Base64Url("{\"no closing quote within the first forty-eight bytes at all")}.{Fake.Base64Url("payload")}.c2ln";
        var controlKey = $"{Fake.Base64Url("{\"a\u0001b\":1}")}.{Fake.Base64Url("payload")}.c2ln";
        var text = $"module-eyJustified_layout.bundle.min.js\ncache_{noKey}\nx-{controlKey}\nlib_eyJ0b2tlbi1saXN0.bundle.map\n";

        Mask.Run(text).Output.Should().Be(text);
        // The same, not glued, opens a JSON object and is masked as before.
        Mask.Run($"cache {noKey}\n").Counts.Should().ContainKey("jwt");
    }

    private static IEnumerable<int> AllIndexes(string text, string value)
    {
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal))
        {
            yield return i;
        }
    }
}
