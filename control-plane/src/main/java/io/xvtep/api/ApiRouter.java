package io.xvtep.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.xvtep.agent.VtepException;
import io.xvtep.agent.VtepService;
import io.xvtep.libbpf.BpfException;

import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * HTTP API under /api/v1. Handlers only translate: parse the request, call the service on a
 * worker thread (map syscalls block, and a big FDB walk must not stall the event loop),
 * render the result or the error.
 */
public final class ApiRouter {

    private static final String JSON = "application/json";

    private final Vertx vertx;
    private final VtepService service;
    private final BooleanSupplier ready;
    private final Supplier<String> metrics;
    private final EventHub events;
    private final byte[] token;

    /** Body limit of ordinary requests. */
    public static final int BODY_LIMIT = 64 * 1024;
    /** Body limit of the bulk routes: room for well over 100k FDB entries. */
    public static final int BULK_BODY_LIMIT = 16 * 1024 * 1024;

    public ApiRouter(Vertx vertx, VtepService service, BooleanSupplier ready, Supplier<String> metrics) {
        this(vertx, service, ready, metrics, new EventHub(), null);
    }

    /**
     * @param events the hub /api/v1/events streams from
     * @param token when not null, every request but /healthz needs `Authorization: Bearer TOKEN`
     */
    public ApiRouter(Vertx vertx, VtepService service, BooleanSupplier ready, Supplier<String> metrics,
            EventHub events, String token) {
        this.vertx = vertx;
        this.service = service;
        this.ready = ready;
        this.metrics = metrics;
        this.events = events;
        this.token = token == null ? null : token.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    public EventHub events() {
        return events;
    }

    public Router router() {
        Router r = Router.router(vertx);
        if (token != null) {
            r.route().order(-100).handler(this::authenticate);
        }
        BodyHandler small = BodyHandler.create().setBodyLimit(BODY_LIMIT);
        BodyHandler big = BodyHandler.create().setBodyLimit(BULK_BODY_LIMIT);
        r.route().handler(ctx -> (ctx.request().path().endsWith("/bulk") ? big : small).handle(ctx));

        r.get("/healthz").handler(ctx -> send(ctx, 200, new JsonObject().put("status", "ok")));
        r.get("/readyz").handler(ctx -> call(ctx, ready::getAsBoolean, ok -> send(ctx, ok ? 200 : 503,
                new JsonObject().put("status", ok ? "ready" : "not ready"))));
        r.get("/metrics").handler(ctx -> call(ctx, metrics::get, text -> ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8").end(text)));

        String v = "/api/v1/vnis";
        r.post(v).handler(ctx -> call(ctx,
                () -> service.createVni(JsonCodec.vniSpec(JsonCodec.object(ctx.body().buffer(), JsonCodec.VNI_FIELDS))),
                view -> send(ctx, 201, JsonCodec.vni(view))));
        r.get(v).handler(ctx -> call(ctx, service::listVnis,
                l -> send(ctx, 200, new JsonArray(l.stream().map(JsonCodec::vni).toList()))));
        r.get(v + "/:vni").handler(ctx -> call(ctx, () -> service.getVni(ctx.pathParam("vni")),
                view -> send(ctx, 200, JsonCodec.vni(view))));
        r.patch(v + "/:vni").handler(ctx -> call(ctx, () -> service.patchVni(ctx.pathParam("vni"),
                JsonCodec.vniPatch(JsonCodec.object(ctx.body().buffer(), JsonCodec.VNI_PATCH_FIELDS))),
                view -> send(ctx, 200, JsonCodec.vni(view))));
        r.delete(v + "/:vni").handler(ctx -> call(ctx, () -> {
            service.deleteVni(ctx.pathParam("vni"));
            return null;
        }, x -> ctx.response().setStatusCode(204).end()));

        r.post(v + "/:vni/ports").handler(ctx -> call(ctx, () -> {
            JsonObject o = JsonCodec.object(ctx.body().buffer(), JsonCodec.PORT_FIELDS);
            return service.addPort(ctx.pathParam("vni"), JsonCodec.string(o, "ifname"), JsonCodec.bool(o, "xdp"));
        }, p -> send(ctx, 201, JsonCodec.port(p))));
        r.get(v + "/:vni/ports").handler(ctx -> call(ctx, () -> service.listPorts(ctx.pathParam("vni")),
                l -> send(ctx, 200, new JsonArray(l.stream().map(JsonCodec::port).toList()))));
        r.delete(v + "/:vni/ports/:ifname").handler(ctx -> call(ctx, () -> {
            service.deletePort(ctx.pathParam("vni"), ctx.pathParam("ifname"));
            return null;
        }, x -> ctx.response().setStatusCode(204).end()));

        r.post(v + "/:vni/fdb").handler(ctx -> call(ctx, () -> {
            JsonObject o = JsonCodec.object(ctx.body().buffer(), JsonCodec.FDB_FIELDS);
            return service.addFdb(ctx.pathParam("vni"), JsonCodec.string(o, "mac"), JsonCodec.string(o, "dst"),
                    JsonCodec.string(o, "ifname"));
        }, e -> send(ctx, 201, JsonCodec.fdb(e))));
        r.get(v + "/:vni/fdb").handler(ctx -> call(ctx, () -> {
            onlyParams(ctx, Set.of("type"));
            return service.listFdb(ctx.pathParam("vni"), ctx.queryParams().get("type"));
        }, l -> send(ctx, 200, new JsonArray(l.stream().map(JsonCodec::fdb).toList()))));
        r.post(v + "/:vni/fdb/bulk").handler(ctx -> call(ctx, () -> service.bulkFdb(ctx.pathParam("vni"),
                JsonCodec.fdbSpecs(JsonCodec.object(ctx.body().buffer(), JsonCodec.BULK_FIELDS))),
                n -> send(ctx, 200, new JsonObject().put("count", n))));
        r.put(v + "/:vni/fdb/:mac").handler(ctx -> call(ctx, () -> {
            JsonObject o = JsonCodec.object(ctx.body().buffer(), Set.of("dst", "ifname", "mac"));
            String mac = ctx.pathParam("mac");
            if (o.containsKey("mac") && !mac.equalsIgnoreCase(String.valueOf(o.getValue("mac")))) {
                throw VtepException.invalid("mac", "the body's mac differs from the path's");
            }
            return service.replaceFdb(ctx.pathParam("vni"), mac, JsonCodec.string(o, "dst"),
                    JsonCodec.string(o, "ifname"));
        }, w -> send(ctx, w.created() ? 201 : 200, JsonCodec.fdb(w.entry()))));
        r.delete(v + "/:vni/fdb/:mac").handler(ctx -> call(ctx, () -> {
            onlyParams(ctx, Set.of("dst"));
            service.deleteFdb(ctx.pathParam("vni"), ctx.pathParam("mac"), ctx.queryParams().get("dst"));
            return null;
        }, x -> ctx.response().setStatusCode(204).end()));

        r.post(v + "/:vni/neigh").handler(ctx -> call(ctx, () -> {
            JsonObject o = JsonCodec.object(ctx.body().buffer(), JsonCodec.NEIGH_FIELDS);
            return service.addNeigh(ctx.pathParam("vni"), JsonCodec.string(o, "ip"), JsonCodec.string(o, "mac"));
        }, n -> send(ctx, 201, JsonCodec.neigh(n))));
        r.get(v + "/:vni/neigh").handler(ctx -> call(ctx, () -> service.listNeigh(ctx.pathParam("vni")),
                l -> send(ctx, 200, new JsonArray(l.stream().map(JsonCodec::neigh).toList()))));
        r.post(v + "/:vni/neigh/bulk").handler(ctx -> call(ctx, () -> service.bulkNeigh(ctx.pathParam("vni"),
                JsonCodec.neighSpecs(JsonCodec.object(ctx.body().buffer(), JsonCodec.BULK_FIELDS))),
                n -> send(ctx, 200, new JsonObject().put("count", n))));
        r.delete(v + "/:vni/neigh/:ip").handler(ctx -> call(ctx, () -> {
            service.deleteNeigh(ctx.pathParam("vni"), ctx.pathParam("ip"));
            return null;
        }, x -> ctx.response().setStatusCode(204).end()));

        r.get("/api/v1/events").handler(this::events);
        r.get("/api/v1/openapi.yaml").handler(ctx -> call(ctx, ApiRouter::openapi, text -> ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/yaml; charset=utf-8").end(text)));

        r.get(v + "/:vni/stats").handler(ctx -> call(ctx, () -> {
            String vni = ctx.pathParam("vni");
            return JsonCodec.stats(service.getVni(vni).config().vni().value(), service.stats(vni));
        }, o -> send(ctx, 200, o)));
        r.get("/api/v1/stats").handler(ctx -> call(ctx, service::allStats,
                m -> send(ctx, 200, JsonCodec.allStats(m))));

        r.errorHandler(401, ctx -> unauthorized(ctx));
        r.errorHandler(404, ctx -> send(ctx, 404, JsonCodec.error("no such resource: " + ctx.request().path(), null)));
        r.errorHandler(405, ctx -> send(ctx, 405, JsonCodec.error("method not allowed", null)));
        r.errorHandler(413, ctx -> send(ctx, 413, JsonCodec.error("request body too large", null)));
        r.errorHandler(400, ctx -> send(ctx, 400, JsonCodec.error("bad request", null)));
        r.errorHandler(500, ctx -> fail(ctx, ctx.failure()));
        return r;
    }

    /** The hand-written OpenAPI document (a classpath resource). */
    public static String openapi() throws java.io.IOException {
        try (java.io.InputStream in = ApiRouter.class.getResourceAsStream("/openapi.yaml")) {
            if (in == null) {
                throw new java.io.FileNotFoundException("openapi.yaml is not on the classpath");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private void authenticate(RoutingContext ctx) {
        if (ctx.request().path().equals("/healthz")) {
            ctx.next();
            return;
        }
        String h = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        byte[] given = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7)
                ? h.substring(7).trim().getBytes(java.nio.charset.StandardCharsets.UTF_8) : new byte[0];
        if (!java.security.MessageDigest.isEqual(given, token)) {
            unauthorized(ctx);
            return;
        }
        ctx.next();
    }

    private static void unauthorized(RoutingContext ctx) {
        ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"xvtep\"");
        send(ctx, 401, JsonCodec.error("missing or wrong bearer token (Authorization: Bearer TOKEN)", null));
    }

    /** GET /api/v1/events[?vni=42&type=learn,l2miss]: server-sent events. */
    private void events(RoutingContext ctx) {
        java.util.Set<Integer> vnis = null;
        java.util.Set<String> types = null;
        try {
            onlyParams(ctx, Set.of("vni", "type"));
            String vq = ctx.queryParams().get("vni");
            if (vq != null) {
                vnis = new java.util.HashSet<>();
                for (String x : vq.split(",")) {
                    try {
                        vnis.add(io.xvtep.model.Vni.parse(x.trim()).value());
                    } catch (IllegalArgumentException e) {
                        throw VtepException.invalid("vni", e.getMessage());
                    }
                }
            }
            String tq = ctx.queryParams().get("type");
            if (tq != null) {
                types = new java.util.HashSet<>();
                for (String x : tq.split(",")) {
                    if (!EventHub.TYPES.contains(x.trim())) {
                        throw VtepException.invalid("type", "unknown event type " + x.trim() + " (one of "
                                + String.join(", ", new java.util.TreeSet<>(EventHub.TYPES)) + ")");
                    }
                    types.add(x.trim());
                }
            }
        } catch (VtepException e) {
            fail(ctx, e);
            return;
        }
        events.subscribe(vertx, ctx.response(), vnis, types);
    }

    private static void onlyParams(RoutingContext ctx, Set<String> allowed) {
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

    private <T> void call(RoutingContext ctx, Callable<T> work, java.util.function.Consumer<T> render) {
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

    private static void fail(RoutingContext ctx, Throwable t) {
        if (t instanceof VtepException e) {
            int status = switch (e.kind()) {
                case INVALID -> 400;
                case NOT_FOUND -> 404;
                case CONFLICT -> 409;
            };
            send(ctx, status, JsonCodec.error(e.getMessage(), e.field()));
        } else if (t instanceof BpfException e && e.errno() == 7 /* E2BIG: a full map */) {
            send(ctx, 409, JsonCodec.error("datapath table full: " + e.getMessage(), null));
        } else {
            send(ctx, 500, JsonCodec.error(t == null ? "internal error" : String.valueOf(t.getMessage()), null));
        }
    }

    private static void send(RoutingContext ctx, int status, Object json) {
        if (ctx.response().ended()) {
            return;
        }
        String body = json instanceof JsonObject o ? o.encodePrettily() : ((JsonArray) json).encodePrettily();
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(body + "\n");
    }
}
