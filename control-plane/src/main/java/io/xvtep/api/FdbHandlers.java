package io.xvtep.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.xvtep.model.FdbEntry;
import io.xvtep.model.Mac;
import io.xvtep.service.Services;
import io.xvtep.service.VtepException;

import java.util.Set;

/** /api/v1/vnis/{vni}/fdb: `bridge fdb add/replace/append/del/show`, plus bulk. */
final class FdbHandlers {

    private FdbHandlers() {
    }

    static void mount(Router r, Http http, Services s) {
        String v = ApiRouter.VNIS + "/:vni/fdb";
        r.post(v).handler(ctx -> http.call(ctx, () -> {
            JsonObject o = JsonCodec.object(ctx.body().buffer(), JsonCodec.FDB_FIELDS);
            return s.fdb().add(Params.vni(ctx.pathParam("vni")), Params.mac(JsonCodec.string(o, "mac"), "mac"),
                    JsonCodec.address(o, "dst"), JsonCodec.string(o, "ifname"));
        }, e -> Http.send(ctx, 201, JsonCodec.fdb(e))));
        r.get(v).handler(ctx -> http.page(ctx, () -> {
            Http.onlyParams(ctx, Set.of("type", "limit", "after"));
            Integer limit = Paging.limit(ctx.queryParams().get("limit"));
            String after = ctx.queryParams().get("after");
            return Paging.page(s.fdb().list(Params.vni(ctx.pathParam("vni")),
                    Params.fdbType(ctx.queryParams().get("type"))), FdbEntry::mac,
                    Params.mac(after, "after"), limit);
        }, JsonCodec::fdb));
        r.post(v + "/bulk").handler(ctx -> http.call(ctx, () -> s.fdb().bulk(Params.vni(ctx.pathParam("vni")),
                JsonCodec.fdbSpecs(ctx.body().buffer())),
                n -> Http.send(ctx, 200, new JsonObject().put("count", n))));
        r.put(v + "/:mac").handler(ctx -> http.call(ctx, () -> {
            JsonObject o = JsonCodec.object(ctx.body().buffer(), Set.of("dst", "ifname", "mac"));
            String mac = ctx.pathParam("mac");
            if (o.containsKey("mac") && !mac.equalsIgnoreCase(String.valueOf(o.getValue("mac")))) {
                throw VtepException.invalid("mac", "the body's mac differs from the path's");
            }
            return s.fdb().replace(Params.vni(ctx.pathParam("vni")), pathMac(mac), JsonCodec.address(o, "dst"),
                    JsonCodec.string(o, "ifname"));
        }, w -> Http.send(ctx, w.created() ? 201 : 200, JsonCodec.fdb(w.entry()))));
        r.delete(v + "/:mac").handler(ctx -> http.call(ctx, () -> {
            Http.onlyParams(ctx, Set.of("dst"));
            s.fdb().delete(Params.vni(ctx.pathParam("vni")), pathMac(ctx.pathParam("mac")),
                    Params.ip(ctx.queryParams().get("dst"), "dst"));
        }));
    }

    private static Mac pathMac(String text) {
        return Params.mac(text, "mac");
    }
}
