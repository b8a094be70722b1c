package io.xvtep.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.xvtep.service.VtepException;

import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * What every handler does: run the service call on a worker thread (map syscalls block, and a
 * big FDB walk must not stall the event loop), then render the result or the error.
 */
final class Http {

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

    /** 400/404/409 for what the service refuses, 500 for anything else. */
    static void fail(RoutingContext ctx, Throwable t) {
        VtepException e = VtepException.of(t);
        if (e != null) {
            int status = switch (e.kind()) {
                case INVALID -> 400;
                case NOT_FOUND -> 404;
                case CONFLICT -> 409;
            };
            send(ctx, status, JsonCodec.error(e.getMessage(), e.field()));
        } else {
            send(ctx, 500, JsonCodec.error(t == null ? "internal error" : String.valueOf(t.getMessage()), null));
        }
    }

    static void send(RoutingContext ctx, int status, Object json) {
        if (ctx.response().ended()) {
            return;
        }
        String body = json instanceof JsonObject o ? o.encodePrettily() : ((JsonArray) json).encodePrettily();
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(body + "\n");
    }

    static void onlyParams(RoutingContext ctx, Set<String> allowed) {
        for (String p : ctx.queryParams().names()) {
            if (!allowed.contains(p)) {
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
