package io.xvtep.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.xvtep.service.NeighView;
import io.xvtep.service.Services;

import java.util.Set;

/** /api/v1/vnis/{vni}/neigh: `ip neigh add/del/show` for the ARP/ND proxy, plus bulk. */
final class NeighHandlers {

    private NeighHandlers() {
    }

    static void mount(Router r, Http http, Services s) {
        String v = ApiRouter.VNIS + "/:vni/neigh";
        r.post(v).handler(ctx -> http.call(ctx, () -> {
            JsonObject o = JsonCodec.object(ctx.body().buffer(), JsonCodec.NEIGH_FIELDS);
            return s.neigh().add(Params.vni(ctx.pathParam("vni")), JsonCodec.address(o, "ip"),
                    Params.mac(JsonCodec.string(o, "mac"), "mac"));
        }, n -> Http.send(ctx, 201, JsonCodec.neigh(n))));
        r.get(v).handler(ctx -> http.page(ctx, () -> {
            Http.onlyParams(ctx, Set.of("limit", "after"));
            Integer limit = Paging.limit(ctx.queryParams().get("limit"));
            String after = ctx.queryParams().get("after");
            return Paging.page(s.neigh().list(Params.vni(ctx.pathParam("vni"))), NeighView::ip,
                    Params.ip(after, "after"), limit);
        }, JsonCodec::neigh));
        r.post(v + "/bulk").handler(ctx -> http.call(ctx, () -> s.neigh().bulk(Params.vni(ctx.pathParam("vni")),
                JsonCodec.neighSpecs(ctx.body().buffer())),
                n -> Http.send(ctx, 200, new JsonObject().put("count", n))));
        r.delete(v + "/:ip").handler(ctx -> http.call(ctx, () -> s.neigh().delete(Params.vni(ctx.pathParam("vni")),
                Params.ip(ctx.pathParam("ip"), "ip"))));
    }
}
