using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Threading.Channels;
using Broker.Policy;
using Microsoft.Extensions.Logging;

namespace Broker.Approvals;

/// <summary>How webhook deliveries are queued and retried.</summary>
public sealed record WebhookOptions
{
    /// <summary>Deliveries waiting per receiver; beyond it new ones are dropped (and logged), never waited for.</summary>
    public int QueueCapacity { get; init; } = 256;

    /// <summary>Attempts per delivery, the first included.</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>The wait before the first retry; doubled for each further one.</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long one attempt may take, connection included.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Posts every approval event to the webhooks of the request's role, signed (<see cref="WebhookSignature"/>). A
/// session never waits for it: <see cref="OnApprovalEvent"/> only puts the delivery in its receiver's bounded queue;
/// each receiver has its own queue and sender, so one that is down or slow delays nobody else, and its deliveries
/// are retried with exponential backoff.
/// </summary>
public sealed partial class WebhookNotifier : IApprovalListener, IAsyncDisposable
{
    private readonly Func<string, IReadOnlyList<WebhookDefinition>> _webhooksFor;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WebhookOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<Uri, Receiver> _receivers = [];
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    /// <summary>A notifier that finds a role's webhooks with <paramref name="webhooksFor"/> (the current policy's) and posts with <paramref name="http"/>.</summary>
    public WebhookNotifier(Func<string, IReadOnlyList<WebhookDefinition>> webhooksFor, HttpClient http, TimeProvider time, ILogger<WebhookNotifier> logger, WebhookOptions? options = null)
    {
        _webhooksFor = webhooksFor;
        _http = http;
        _time = time;
        _logger = logger;
        _options = options ?? new WebhookOptions();
    }

    /// <inheritdoc />
    public void OnApprovalEvent(ApprovalEvent approvalEvent)
    {
        ArgumentNullException.ThrowIfNull(approvalEvent);
        if (Volatile.Read(ref _disposed) == 1)
        {
            return;
        }

        foreach (var webhook in _webhooksFor(approvalEvent.Request.Role))
        {
            Receiver receiver;
            lock (_gate)
            {
                if (!_receivers.TryGetValue(webhook.Url, out receiver!))
                {
                    receiver = _receivers[webhook.Url] = new Receiver(this, webhook.Url);
                }
            }

            var delivery = new Delivery("dlv-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10)), approvalEvent, webhook.Secret);
            if (!receiver.Queue.Writer.TryWrite(delivery))
            {
                var where = Where(webhook.Url);
                LogDropped(_logger, where, approvalEvent.Name, approvalEvent.Request.Id);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Registered as itself and as a listener, the container disposes the one instance twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        List<Receiver> receivers;
        lock (_gate)
        {
            receivers = [.. _receivers.Values];
        }

        foreach (var receiver in receivers)
        {
            receiver.Queue.Writer.TryComplete();
            await receiver.Sender.ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private async Task SendAllAsync(Uri url, ChannelReader<Delivery> queue)
    {
        var token = _stopping.Token;
        try
        {
            await foreach (var delivery in queue.ReadAllAsync(token).ConfigureAwait(false))
            {
                await DeliverAsync(url, delivery, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The broker is stopping; what is still queued is not sent.
        }
    }

    private async Task DeliverAsync(Uri url, Delivery delivery, CancellationToken stopping)
    {
        var body = WebhookPayload.Build(delivery.Event, delivery.Id);
        var where = Where(url);
        var delay = _options.FirstRetryDelay;
        for (var attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            var problem = await AttemptAsync(url, delivery, body, stopping).ConfigureAwait(false);
            if (problem is null)
            {
                return;
            }

            if (attempt == _options.MaxAttempts)
            {
                LogGaveUp(_logger, where, delivery.Event.Name, delivery.Event.Request.Id, attempt, problem);
                return;
            }

            LogRetrying(_logger, where, delivery.Event.Name, attempt, problem, delay);
            await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
        }
    }

    /// <summary>One POST; null on a 2xx answer, else what went wrong.</summary>
    private async Task<string?> AttemptAsync(Uri url, Delivery delivery, byte[] body, CancellationToken stopping)
    {
        // Signed per attempt: a retry carries a fresh timestamp, so a receiver's replay window does not refuse it.
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(delivery.Secret, timestamp, body));
        request.Headers.Add(WebhookSignature.DeliveryHeader, delivery.Id);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        attempt.CancelAfter(_options.AttemptTimeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return $"no answer within {_options.AttemptTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";
        }
        catch (HttpRequestException e)
        {
            return e.Message;
        }
    }

    /// <summary>Scheme, host and port only: chat webhook URLs carry their secret in the path.</summary>
    private static string Where(Uri url) => url.GetLeftPart(UriPartial.Authority);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {Url}: queue full, {Event} for {Id} dropped")]
    private static partial void LogDropped(ILogger logger, string url, string @event, string id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {Url}: {Event} attempt {Attempt} failed ({Problem}); retrying in {Delay}")]
    private static partial void LogRetrying(ILogger logger, string url, string @event, int attempt, string problem, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {Url}: {Event} for {Id} not delivered after {Attempts} attempts ({Problem})")]
    private static partial void LogGaveUp(ILogger logger, string url, string @event, string id, int attempts, string problem);

    private sealed record Delivery(string Id, ApprovalEvent Event, byte[] Secret);

    private sealed class Receiver
    {
        public Receiver(WebhookNotifier notifier, Uri url)
        {
            Queue = Channel.CreateBounded<Delivery>(new BoundedChannelOptions(notifier._options.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
            Sender = Task.Run(() => notifier.SendAllAsync(url, Queue.Reader));
        }

        public Channel<Delivery> Queue { get; }

        public Task Sender { get; }
    }
}
