using System.Diagnostics;
using System.Net;
using Broker.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Broker.Integration.Tests.Sessions;

/// <summary>
/// <c>agent-client exec</c> ends as soon as it has the command's exit status. The broker ends the call (its trailers)
/// only after it has given the session's account back, which may run a cleaner; an agent that runs one command after
/// another must not wait for that. A server that holds the trailers until the client process has exited shows it.
/// </summary>
public sealed class ExecClientExitTests
{
    [Fact]
    public async Task Agent_client_exits_with_the_exit_status_while_the_call_is_still_open()
    {
        var trailersHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new HeldTrailers(trailersHeld.Task));
        await using var app = builder.Build();
        app.MapGrpcService<HeldTrailersService>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();

        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "agent-client.dll"), "exec", "--broker", address, "--token", "unused", "--target", "local", "--", "true" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        using var client = Process.Start(start)!;
        client.StandardInput.Close();
        var stdout = client.StandardOutput.ReadToEndAsync();
        var stderr = client.StandardError.ReadToEndAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await client.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            client.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException("agent-client waited for the call's trailers after it had the exit status");
        }
        finally
        {
            trailersHeld.TrySetResult();
        }

        client.ExitCode.Should().Be(7, await stderr);
        (await stdout).Should().Be("out\n");
    }

    private sealed record HeldTrailers(Task Released);

    private sealed class HeldTrailersService(HeldTrailers held) : SessionService.SessionServiceBase
    {
        public override async Task Exec(IAsyncStreamReader<ExecRequest> requestStream, IServerStreamWriter<ExecResponse> responseStream, ServerCallContext context)
        {
            await requestStream.MoveNext(context.CancellationToken);
            await responseStream.WriteAsync(new ExecResponse { Stdout = ByteString.CopyFromUtf8("out\n") });
            await responseStream.WriteAsync(new ExecResponse { Exit = new ExitStatus { Code = 7, Reason = ExitReason.Exited } });
            // As the broker does while it gives the account back: the call stays open until the test has seen the
            // client exit, or the client leaves.
            await held.Released.WaitAsync(context.CancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
