package io.xvtep.api;

import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import io.xvtep.model.EventType;
import io.xvtep.service.VtepException;

import java.util.HashSet;
import java.util.Set;

/** GET /api/v1/events[?vni=42&type=learn,l2miss]: server-sent events from the {@link EventHub}. */
final class EventsHandler {

    private EventsHandler() {
    }

    static void subscribe(RoutingContext ctx, Vertx vertx, EventHub hub) {
        Set<Integer> vnis = null;
        Set<EventType> types = null;
        try {
            Http.onlyParams(ctx, Set.of("vni", "type"));
            String vq = ctx.queryParams().get("vni");
            if (vq != null) {
                vnis = new HashSet<>();
                for (String x : vq.split(",")) {
                    vnis.add(Params.vni(x.trim()).value());
                }
            }
            String tq = ctx.queryParams().get("type");
            if (tq != null) {
                types = new HashSet<>();
                for (String x : tq.split(",")) {
                    String label = x.trim();
                    types.add(EventType.streamed(label).orElseThrow(() -> VtepException.invalid("type",
                            "unknown event type " + label + " (one of " + String.join(", ",
                                    new java.util.TreeSet<>(EventType.streamedLabels())) + ")")));
                }
            }
        } catch (VtepException e) {
            Http.fail(ctx, e);
            return;
        }
        hub.subscribe(vertx, ctx.response(), vnis, types);
    }
}
