package io.xvtep.testkit;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;

/**
 * An in-process HTTP/1.1 client (java.net.http) for a server listening inside a {@link Netns}, so a request
 * costs a round trip on kept-alive connections instead of forking {@code nsenter curl}.
 *
 * <p>A socket lives in the namespace of the thread that created it, and the JDK client creates sockets
 * on whichever of its threads runs the exchange: the caller of send() (stages run inline there), its
 * executor, or its selector thread. So every one of them is inside: the client is built on a namespace
 * thread (its selector thread inherits the namespace), its executor's threads joined it, and each call is
 * made from one of them.
 */
public final class NetnsHttpClient implements AutoCloseable {
    // generous: a 250k-entry FDB listing on a loaded CI box takes a while; a hang still ends
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    private final URI base;
    private final ExecutorService executor;
    private final ExecutorService callers;
    private final HttpClient client;

    /** {@code base} like {@code http://127.0.0.1:8470}, as seen from inside {@code ns}. */
    public NetnsHttpClient(Netns ns, String base) {
        this.base = URI.create(base);
        this.executor = Executors.newCachedThreadPool(ns.threadFactory("http-" + ns.name()));
        this.callers = Executors.newCachedThreadPool(ns.threadFactory("http-call-" + ns.name()));
        this.client = ns.call(() -> HttpClient.newBuilder().executor(executor).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(TIMEOUT).build());
    }

    /** Status, body and headers of a finished exchange. */
    public record Response(int status, String body, Map<String, List<String>> headers) {
    }

    private HttpRequest request(String method, String path, String body, Map<String, String> headers, boolean stream) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
        if (!stream) {
            b.timeout(TIMEOUT);
        }
        headers.forEach(b::header);
        if (body != null) {
            b.header("Content-Type", "application/json");
            b.method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return b.build();
    }

    /** One request; {@code body} null sends none, otherwise it goes as application/json. */
    public Response send(String method, String path, String body, Map<String, String> headers) {
        HttpRequest request = request(method, path, body, headers, false);
        try {
            HttpResponse<String> r = callers.submit(() -> client.send(request, HttpResponse.BodyHandlers.ofString()))
                    .get();
            return new Response(r.statusCode(), r.body(), r.headers().map());
        } catch (ExecutionException e) {
            throw new IllegalStateException(method + " " + path + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(method + " " + path + ": interrupted", e);
        }
    }

    /** A GET whose body keeps coming (server-sent events), collected line by line until closed. */
    public LineStream stream(String path, Map<String, String> headers) {
        LineStream s = new LineStream();
        HttpRequest request = request("GET", path, null, headers, true);
        try {
            s.response = callers.submit(() -> client.sendAsync(request, HttpResponse.BodyHandlers.fromLineSubscriber(s)))
                    .get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("GET " + path + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("GET " + path + ": interrupted", e);
        }
        return s;
    }

    /** The lines of a streamed body so far, each followed by "\n" (so SSE framing shows as sent). */
    public static final class LineStream implements Flow.Subscriber<String>, AutoCloseable {
        private final StringBuilder text = new StringBuilder();
        private volatile Flow.Subscription subscription;
        private volatile CompletableFuture<HttpResponse<Void>> response;

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public synchronized void onNext(String line) {
            text.append(line).append('\n');
        }

        @Override
        public void onError(Throwable t) {
            // closed by the test or by the server: the text so far is what counts
        }

        @Override
        public void onComplete() {
        }

        public synchronized String text() {
            return text.toString();
        }

        @Override
        public void close() {
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
            response.cancel(true);
        }
    }

    @Override
    public void close() {
        callers.shutdownNow();
        executor.shutdownNow();
    }
}
