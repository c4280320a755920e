using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using AgentClient.Connection;
using Broker.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace AgentClient.Tests.Connection;

/// <summary>
/// The Exec call's gRPC framing over HTTP/2, against a handler that plays the broker's side of one call
/// (what a real broker does with it is covered end to end: EndToEnd.Tests run the built client).
/// </summary>
public sealed class ExecCallTests
{
    private static readonly Uri BrokerUrl = new("http://127.0.0.1:7443");
    private static readonly ExecRequest Start = new() { Start = new ExecStart { Target = "local", Argv = new Argv { Args = { "true" } } } };

    [Fact]
    public async Task Frames_split_into_small_reads_arrive_whole_and_ok_trailers_end_the_call()
    {
        ExecResponse[] frames =
        [
            new() { Decision = new CommandDecision { Verdict = Verdict.Allow, Rule = "r" } },
            new() { Stdout = ByteString.CopyFromUtf8("hi\n") },
            new() { Exit = new ExitStatus { Code = 0 } },
        ];
        var broker = new ScriptedBroker(Response(Framed(frames), trailers: ("grpc-status", "0")));
        using var http = new HttpMessageInvoker(broker);

        using var call = await ExecCall.StartAsync(http, BrokerUrl, "tok", Start, CancellationToken.None);
        var received = new List<ExecResponse>();
        while (await call.ReadAsync(CancellationToken.None) is { } frame)
        {
            using (frame)
            {
                received.Add(frame.Message.Clone());
            }
        }

        received.Should().Equal(frames);
    }

    [Fact]
    public async Task A_failed_status_in_the_trailers_is_thrown_with_its_message_decoded()
    {
        var broker = new ScriptedBroker(Response([], trailers: [("grpc-status", "5"), ("grpc-message", "target%20'x'%20does%20not%20exist")]));
        using var http = new HttpMessageInvoker(broker);
        using var call = await ExecCall.StartAsync(http, BrokerUrl, "tok", Start, CancellationToken.None);

        var read = async () => await call.ReadAsync(CancellationToken.None);

        (await read.Should().ThrowAsync<RpcException>()).Which.Status.Should().Be(new Status(StatusCode.NotFound, "target 'x' does not exist"));
    }

    [Fact]
    public async Task A_call_refused_in_its_headers_throws_its_status_at_start()
    {
        var response = Response([]);
        response.Headers.TryAddWithoutValidation("grpc-status", "16");
        response.Headers.TryAddWithoutValidation("grpc-message", "the token was refused");
        using var http = new HttpMessageInvoker(new ScriptedBroker(response));

        var start = () => ExecCall.StartAsync(http, BrokerUrl, "tok", Start, CancellationToken.None);

        (await start.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unauthenticated);
    }

    [Fact]
    public async Task The_request_is_a_grpc_post_with_the_token_and_length_prefixed_frames()
    {
        var broker = new ScriptedBroker(Response([], trailers: ("grpc-status", "0")));
        using var http = new HttpMessageInvoker(broker);
        var stdin = new ExecRequest { Stdin = ByteString.CopyFromUtf8("input") };

        using (var call = await ExecCall.StartAsync(http, BrokerUrl, "tok", Start, CancellationToken.None))
        {
            await call.RequestStream.WriteAsync(stdin);
        }

        var request = broker.Request!;
        request.Method.Should().Be(HttpMethod.Post);
        request.RequestUri.Should().Be(new Uri("http://127.0.0.1:7443/broker.v1.SessionService/Exec"));
        request.Version.Should().Be(HttpVersion.Version20);
        request.Headers.GetValues("authorization").Should().Equal("Bearer tok");
        request.Headers.TE.Select(t => t.Value).Should().Equal("trailers");
        request.Content!.Headers.GetValues("content-type").Should().Equal("application/grpc");
        (await broker.Body!.WaitAsync(TimeSpan.FromSeconds(30))).Should().Equal(Framed([Start, stdin]));
    }

    [Fact]
    public async Task A_broker_that_cannot_be_reached_is_an_unavailable_status_that_names_the_cause()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:7443)", new SocketException((int)SocketError.ConnectionRefused));
        using var http = new HttpMessageInvoker(new ScriptedBroker(refused));

        var start = () => ExecCall.StartAsync(http, BrokerUrl, "tok", Start, CancellationToken.None);

        var failure = (await start.Should().ThrowAsync<RpcException>()).Which;
        failure.StatusCode.Should().Be(StatusCode.Unavailable);
        (await ConnectionFailure.ExplainAsync(failure, BrokerUrl)).Should().Contain("nothing is listening on 127.0.0.1:7443");
    }

    [Fact]
    public async Task A_message_above_the_limit_is_refused_before_it_is_read()
    {
        var prefix = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), ExecCall.MaxReceiveMessageSize + 1);
        using var http = new HttpMessageInvoker(new ScriptedBroker(Response(prefix)));
        using var call = await ExecCall.StartAsync(http, BrokerUrl, "tok", Start, CancellationToken.None);

        var read = async () => await call.ReadAsync(CancellationToken.None);

        (await read.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.ResourceExhausted);
    }

    private static byte[] Framed(IEnumerable<IMessage> messages)
    {
        using var buffer = new MemoryStream();
        foreach (var message in messages)
        {
            var bytes = message.ToByteArray();
            var prefix = new byte[5];
            BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), (uint)bytes.Length);
            buffer.Write(prefix);
            buffer.Write(bytes);
        }

        return buffer.ToArray();
    }

    private static HttpResponseMessage Response(byte[] body, params (string Name, string Value)[] trailers)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Version = HttpVersion.Version20, Content = new StreamContent(new TrickleStream(body)) };
        foreach (var (name, value) in trailers)
        {
            response.TrailingHeaders.TryAddWithoutValidation(name, value);
        }

        return response;
    }

    /// <summary>Plays the broker: reads the request body as HTTP/2 would send it, and answers with a prepared response (or fails to connect).</summary>
    private sealed class ScriptedBroker : HttpMessageHandler
    {
        private readonly HttpResponseMessage? _response;
        private readonly Exception? _failure;

        public ScriptedBroker(HttpResponseMessage response) => _response = response;

        public ScriptedBroker(Exception failure) => _failure = failure;

        public HttpRequestMessage? Request { get; private set; }

        public Task<byte[]>? Body { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (_failure is not null)
            {
                return Task.FromException<HttpResponseMessage>(_failure);
            }

            Request = request;
            Body = ReadAllAsync(request.Content!);
            return Task.FromResult(_response!);
        }

        private static async Task<byte[]> ReadAllAsync(HttpContent content)
        {
            using var body = new MemoryStream();
            await content.CopyToAsync(body);
            return body.ToArray();
        }
    }

    /// <summary>A body that arrives three bytes at a time, so that prefixes and messages span reads.</summary>
    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(3, buffer.Length)], cancellationToken);
    }
}
