package io.xvtep.api;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.xvtep.service.Services;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * HTTP API under /api/v1: authentication, body limits, health and metrics here; each resource's
 * routes in its own handler class. Handlers only translate: parse the request into typed
 * values, call the service on a worker thread, render the result or the error.
 */
public final class ApiRouter {

    static final String VNIS = "/api/v1/vnis";
    /** Body limit of ordinary requests. */
    public static final int BODY_LIMIT = 64 * 1024;
    /** Body limit of the bulk routes: room for well over 100k FDB entries. */
    public static final int BULK_BODY_LIMIT = 16 * 1024 * 1024;

    private final Http http;
    private final Services services;
    private final BooleanSupplier ready;
    private final Supplier<String> metrics;
    private final EventHub events;
    private final byte[] token;
    private final RequestGuard guard;

    /**
     * @param events the hub /api/v1/events streams from
     * @param token when not null, every request but /healthz needs `Authorization: Bearer TOKEN`
     */
    public ApiRouter(Vertx vertx, Services services, BooleanSupplier ready, Supplier<String> metrics, EventHub events,
            String token) {
        this(vertx, services, ready, metrics, events, token, new RequestGuard("127.0.0.1", java.util.Set.of(),
                java.util.Set.of()));
    }

    /** @param guard the first handler of every request (Host, Origin, content type, body size) */
    public ApiRouter(Vertx vertx, Services services, BooleanSupplier ready, Supplier<String> metrics, EventHub events,
            String token, RequestGuard guard) {
        this.guard = guard;
        this.http = new Http(vertx);
        this.services = services;
        this.ready = ready;
        this.metrics = metrics;
        this.events = events;
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    public Router router() {
        Router r = Router.router(http.vertx());
        r.route().order(-200).handler(guard);
        if (token != null) {
            r.route().order(-100).handler(this::authenticate);
        }
        // No file uploads: the guard refuses multipart before this, and nothing may ever land on disk.
        BodyHandler small = BodyHandler.create(false).setBodyLimit(BODY_LIMIT);
        BodyHandler big = BodyHandler.create(false).setBodyLimit(BULK_BODY_LIMIT);
        r.route().handler(ctx -> (ctx.request().path().endsWith("/bulk") ? big : small).handle(ctx));

        r.get("/healthz").handler(ctx -> Http.send(ctx, 200, new JsonObject().put("status", "ok")));
        r.get("/readyz").handler(ctx -> http.call(ctx, ready::getAsBoolean, ok -> Http.send(ctx, ok ? 200 : 503,
                new JsonObject().put("status", ok ? "ready" : "not ready"))));
        r.get("/metrics").handler(ctx -> http.call(ctx, metrics::get, text -> ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8").end(text)));

        VniHandlers.mount(r, http, services);
        PortHandlers.mount(r, http, services);
        FdbHandlers.mount(r, http, services);
        NeighHandlers.mount(r, http, services);
        StatsHandlers.mount(r, http, services);
        r.get("/api/v1/events").handler(ctx -> EventsHandler.subscribe(ctx, http.vertx(), events));
        r.get("/api/v1/openapi.yaml").handler(ctx -> http.call(ctx, ApiRouter::openapi, text -> ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/yaml; charset=utf-8").end(text)));

        r.errorHandler(401, ApiRouter::unauthorized);
        r.errorHandler(404, ctx -> Http.send(ctx, 404, JsonCodec.error("no such resource: " + ctx.request().path(), null)));
        r.errorHandler(405, ctx -> Http.send(ctx, 405, JsonCodec.error("method not allowed", null)));
        r.errorHandler(413, ctx -> Http.send(ctx, 413, JsonCodec.error("request body too large", null)));
        r.errorHandler(400, ctx -> Http.send(ctx, 400, JsonCodec.error("bad request", null)));
        r.errorHandler(500, ctx -> Http.fail(ctx, ctx.failure()));
        return r;
    }

    /** The hand-written OpenAPI document (a classpath resource). */
    public static String openapi() throws IOException {
        try (InputStream in = ApiRouter.class.getResourceAsStream("/openapi.yaml")) {
            if (in == null) {
                throw new FileNotFoundException("openapi.yaml is not on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private void authenticate(RoutingContext ctx) {
        if (ctx.request().path().equals("/healthz")) {
            ctx.next();
            return;
        }
        String h = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        byte[] given = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7)
                ? h.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(given, token)) {
            unauthorized(ctx);
            return;
        }
        ctx.next();
    }

    private static void unauthorized(RoutingContext ctx) {
        ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"xvtep\"");
        Http.send(ctx, 401, JsonCodec.error("missing or wrong bearer token (Authorization: Bearer TOKEN)", null));
    }

    /** Requests the services refused, by status ("400", "404", "409"). */
    public static java.util.Map<String, java.util.concurrent.atomic.LongAdder> refusedRequests() {
        return Http.REFUSED;
    }
}
