package io.xvtep.api;

import io.vertx.ext.web.Router;
import io.xvtep.model.Vni;
import io.xvtep.service.Services;

/** /api/v1/vnis/{vni}/stats and /api/v1/stats: the datapath's counters. */
final class StatsHandlers {

    private StatsHandlers() {
    }

    static void mount(Router r, Http http, Services s) {
        r.get(ApiRouter.VNIS + "/:vni/stats").handler(ctx -> http.call(ctx, () -> {
            Vni vni = Params.vni(ctx.pathParam("vni"));
            return JsonCodec.stats(vni.value(), s.stats().stats(vni));
        }, o -> Http.send(ctx, 200, o)));
        r.get("/api/v1/stats").handler(ctx -> http.call(ctx, () -> s.stats().all(),
                m -> Http.send(ctx, 200, JsonCodec.allStats(m))));
    }
}
