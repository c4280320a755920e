using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Grpc.Core;

namespace Broker.Integration.Tests.Sessions;

public sealed class ExecTests : IClassFixture<PermissiveBrokerFixture>
{
    private readonly BrokerFixture _broker;

    public ExecTests(PermissiveBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task Argv_runs_without_a_shell_and_returns_its_output()
    {
        var result = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token()), "printf", "%s|", "$(id)", "a b");
        result.StdoutText.Should().Be("$(id)|a b|");
        result.Exit!.Code.Should().Be(0);
        result.SessionId.Should().StartWith("s-");
    }

    [Theory]
    [InlineData("exit 0", 0, 0)]
    [InlineData("exit 1", 1, 0)]
    [InlineData("kill -9 $$", 137, 9)]
    public async Task Script_exit_codes_are_passed_through(string script, int code, int signal)
    {
        var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token()), script);
        result.Exit!.Code.Should().Be(code);
        result.Exit.SignalNumber.Should().Be(signal);
        result.Exit.Reason.Should().Be(ExitReason.Exited);
    }

    [Fact]
    public async Task Stderr_stays_apart_from_stdout()
    {
        var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token()), "echo to-out; echo to-err >&2; echo more-out");
        result.StdoutText.Should().Be("to-out\nmore-out\n");
        result.StderrText.Should().Be("to-err\n");
    }

    [Fact]
    public async Task Stdin_is_delivered_and_all_byte_values_round_trip_exactly()
    {
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var input = Enumerable.Repeat(bytes, 64).SelectMany(b => b).ToArray();
        var result = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token()), "cat");
        result.Stdout.Should().BeEmpty("cat got end of input at once when no stdin was given");

        var echoed = await ExecResult.RunAsync(_broker.Client(_broker.Token()), new ExecStart { Target = "local", Argv = new Argv { Args = { "cat" } } }, input);
        echoed.Stdout.Should().Equal(input);
        echoed.Exit!.Code.Should().Be(0);
    }

    [Fact]
    public async Task A_100_MB_output_arrives_complete_and_in_order()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        using var call = _broker.Client(_broker.Token()).Exec(cancellationToken: cts.Token);
        await call.RequestStream.WriteAsync(new ExecRequest { Start = new ExecStart { Target = "local", Script = "seq 1 13000000" } }, cts.Token);
        await call.RequestStream.CompleteAsync();
        long expected = 1;
        long current = 0;
        long total = 0;
        var inOrder = true;
        ExitStatus? exit = null;
        await foreach (var frame in call.ResponseStream.ReadAllAsync(cts.Token))
        {
            if (frame.FrameCase == ExecResponse.FrameOneofCase.Exit)
            {
                exit = frame.Exit;
            }

            if (frame.FrameCase != ExecResponse.FrameOneofCase.Stdout)
            {
                continue;
            }

            total += frame.Stdout.Length;
            foreach (var b in frame.Stdout.Span)
            {
                if (b == (byte)'\n')
                {
                    inOrder &= current == expected;
                    expected++;
                    current = 0;
                }
                else
                {
                    current = (current * 10) + (b - '0');
                }
            }
        }

        exit!.Code.Should().Be(0);
        inOrder.Should().BeTrue();
        expected.Should().Be(13_000_001);
        total.Should().BeGreaterThan(100_000_000);
    }

    [Fact]
    public async Task Unknown_program_fails_like_a_shell_with_127()
    {
        var result = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token()), "no-such-program-q9");
        result.Exit!.Code.Should().Be(127);
        result.StderrText.Should().Contain("no-such-program-q9");
    }

    [Fact]
    public async Task Unknown_target_is_not_found_and_named()
    {
        var act = () => ExecResult.RunScriptAsync(_broker.Client(_broker.Token()), "true", target: "nowhere");
        var error = (await act.Should().ThrowAsync<RpcException>()).Which;
        error.StatusCode.Should().Be(StatusCode.NotFound);
        error.Status.Detail.Should().Contain("'nowhere'");
    }

    [Fact]
    public async Task A_first_frame_that_is_not_start_is_invalid()
    {
        using var call = _broker.Client(_broker.Token()).Exec();
        await call.RequestStream.WriteAsync(new ExecRequest { Stdin = Google.Protobuf.ByteString.CopyFromUtf8("x") });
        var act = async () => await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        var error = (await act.Should().ThrowAsync<RpcException>()).Which;
        error.StatusCode.Should().Be(StatusCode.InvalidArgument);
        error.Status.Detail.Should().Contain("start");
    }

    [Fact]
    public async Task Background_jobs_of_a_finished_command_do_not_survive_it()
    {
        var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token()), "sleep 600 >/dev/null 2>&1 & echo $!");
        var pid = int.Parse(result.StdoutText.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        result.Exit!.Code.Should().Be(0);
        await ProcessProbe.WaitGoneAsync(pid);
    }
}
