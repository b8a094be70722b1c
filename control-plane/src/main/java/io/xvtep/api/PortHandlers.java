package io.xvtep.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.xvtep.service.PortService;
import io.xvtep.service.Services;

/** /api/v1/vnis/{vni}/ports. */
final class PortHandlers {

    private PortHandlers() {
    }

    static void mount(Router r, Http http, Services s) {
        String v = ApiRouter.VNIS + "/:vni/ports";
        r.post(v).handler(ctx -> http.call(ctx, () -> {
            JsonObject o = JsonCodec.object(ctx.body().buffer(), JsonCodec.PORT_FIELDS);
            return s.ports().add(Params.vni(ctx.pathParam("vni")), JsonCodec.string(o, "ifname"),
                    Boolean.TRUE.equals(JsonCodec.bool(o, "xdp")), Boolean.TRUE.equals(JsonCodec.bool(o, PortService.XDP_ENCAP)),
                    JsonCodec.integer(o, PortService.FDB_MAX_LEARNED));
        }, p -> Http.send(ctx, 201, JsonCodec.port(p))));
        r.get(v).handler(ctx -> http.call(ctx, () -> s.ports().list(Params.vni(ctx.pathParam("vni"))),
                l -> Http.send(ctx, 200, new JsonArray(l.stream().map(JsonCodec::port).toList()))));
        r.delete(v + "/:ifname").handler(ctx -> http.call(ctx,
                () -> s.ports().delete(Params.vni(ctx.pathParam("vni")), ctx.pathParam("ifname"))));
    }
}
