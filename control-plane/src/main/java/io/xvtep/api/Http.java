package io.xvtep.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.xvtep.service.VtepException;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * What every handler does: run the service call on a worker thread (map syscalls block, and a
 * big FDB walk must not stall the event loop), then render the result or the error.
 */
final class Http {

    private static final System.Logger LOG = System.getLogger("xvtep.api");

    private static final String JSON = "application/json";

    private final Vertx vertx;

    Http(Vertx vertx) {
        this.vertx = vertx;
    }

    Vertx vertx() {
        return vertx;
    }

    <T> void call(RoutingContext ctx, Callable<T> work, Consumer<T> render) {
        Future<T> f = vertx.executeBlocking(work, false);
        f.onComplete(ar -> {
            if (ar.succeeded()) {
                try {
                    render.accept(ar.result());
                } catch (RuntimeException e) {
                    fail(ctx, e);
                }
            } else {
                fail(ctx, ar.cause());
            }
        });
    }

    /** A call without a result: 204. */
    void call(RoutingContext ctx, Runnable work) {
        call(ctx, () -> {
            work.run();
            return Boolean.TRUE;
        }, x -> ctx.response().setStatusCode(204).end());
    }

    /** Requests the services refused, by status (400, 404, 409): exported as xvtep_api_refused_requests_total. */
    static final Map<String, LongAdder> REFUSED = Map.of("400", new LongAdder(), "404", new LongAdder(),
            "409", new LongAdder());

    /** 400/404/409 for what the service refuses (counted), 500 for anything else. */
    static void fail(RoutingContext ctx, Throwable t) {
        VtepException e = VtepException.of(t);
        if (e != null) {
            int status = switch (e.kind()) {
                case INVALID -> 400;
                case NOT_FOUND -> 404;
                case CONFLICT -> 409;
            };
            REFUSED.get(Integer.toString(status)).increment();
            send(ctx, status, JsonCodec.error(e.getMessage(), e.field()));
        } else {
            // a 500 is a bug: its stack goes to the log
            LOG.log(System.Logger.Level.ERROR, ctx.request().method() + " " + ctx.request().path() + ": internal error", t);
            send(ctx, 500, JsonCodec.error(t == null ? "internal error" : String.valueOf(t.getMessage()), null));
        }
    }

    /**
     * A list, one page of it ({@code ?limit=&after=}, see {@link Paging}), encoded on the worker thread: a
     * 200k-entry FDB must not stall the event loop that answers /healthz.
     */
    <T> void page(RoutingContext ctx, Callable<Paging.Page<T>> work, Function<T, JsonObject> codec) {
        boolean pretty = pretty(ctx);
        call(ctx, () -> {
            Paging.Page<T> page = work.call();
            JsonArray a = new JsonArray(new ArrayList<>(page.items().size()));
            for (T t : page.items()) {
                a.add(codec.apply(t));
            }
            // bytes here too: UTF-8 encoding 30 MB on the event loop would hold up every other connection on it
            return new Rendered(Buffer.buffer((pretty ? a.encodePrettily() : a.encode()) + "\n"), page.next());
        }, r -> {
            if (ctx.response().ended()) {
                return;
            }
            if (r.next() != null) {
                ctx.response().putHeader("Link", "<" + nextPage(ctx, r.next()) + ">; rel=\"next\"");
            }
            ctx.response().setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(r.body());
        });
    }

    private record Rendered(Buffer body, String next) {
    }

    /** This request's path and query with {@code after} set to {@code next}. */
    private static String nextPage(RoutingContext ctx, String next) {
        StringBuilder sb = new StringBuilder(ctx.request().path()).append('?');
        for (Map.Entry<String, String> p : ctx.queryParams()) {
            if (!p.getKey().equals("after")) {
                sb.append(enc(p.getKey())).append('=').append(enc(p.getValue())).append('&');
            }
        }
        return sb.append("after=").append(enc(next)).toString();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** JSON is compact (a 200k-entry listing is a third smaller) unless the request asks {@code ?pretty}. */
    static boolean pretty(RoutingContext ctx) {
        return ctx.queryParams().contains("pretty");
    }

    static void send(RoutingContext ctx, int status, Object json) {
        if (ctx.response().ended()) {
            return;
        }
        boolean pretty = pretty(ctx);
        String body = json instanceof JsonObject o ? (pretty ? o.encodePrettily() : o.encode())
                : pretty ? ((JsonArray) json).encodePrettily() : ((JsonArray) json).encode();
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(body + "\n");
    }

    /** Refuses query parameters other than {@code allowed} (and {@code pretty}, which every route takes). */
    static void onlyParams(RoutingContext ctx, Set<String> allowed) {
        for (String p : ctx.queryParams().names()) {
            if (!allowed.contains(p) && !p.equals("pretty")) {
                throw VtepException.invalid(p, "unknown query parameter: " + p);
            }
        }
        for (String p : allowed) {
            List<String> all = ctx.queryParams().getAll(p);
            if (all.size() > 1) {
                throw VtepException.invalid(p, "query parameter given more than once: " + p);
            }
        }
    }
}
