package io.xvtep.api;

import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;
import io.xvtep.service.Services;

/** /api/v1/vnis and /api/v1/vnis/{vni}. */
final class VniHandlers {

    private VniHandlers() {
    }

    static void mount(Router r, Http http, Services s) {
        String v = ApiRouter.VNIS;
        r.post(v).handler(ctx -> http.call(ctx,
                () -> s.vnis().create(JsonCodec.vniSpec(JsonCodec.object(ctx.body().buffer(), JsonCodec.VNI_FIELDS))),
                view -> Http.send(ctx, 201, JsonCodec.vni(view))));
        r.get(v).handler(ctx -> http.call(ctx, () -> s.vnis().list(),
                l -> Http.send(ctx, 200, new JsonArray(l.stream().map(JsonCodec::vni).toList()))));
        r.get(v + "/:vni").handler(ctx -> http.call(ctx, () -> s.vnis().get(Params.vni(ctx.pathParam("vni"))),
                view -> Http.send(ctx, 200, JsonCodec.vni(view))));
        r.patch(v + "/:vni").handler(ctx -> http.call(ctx, () -> s.vnis().patch(Params.vni(ctx.pathParam("vni")),
                JsonCodec.vniPatch(JsonCodec.object(ctx.body().buffer(), JsonCodec.VNI_FIELDS))),
                view -> Http.send(ctx, 200, JsonCodec.vni(view))));
        r.delete(v + "/:vni").handler(ctx -> http.call(ctx, () -> s.vnis().delete(Params.vni(ctx.pathParam("vni")))));
    }
}
