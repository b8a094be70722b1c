package io.xvtep.app;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.api.JsonCodec;
import io.xvtep.api.Params;
import io.xvtep.model.Vni;
import io.xvtep.service.Services;
import io.xvtep.service.VtepException;

/** The "vnis" of the agent's config file: each created when missing, with its ports and static entries. */
final class ConfigVnis {

    private ConfigVnis() {
    }

    static void apply(Services services, JsonArray vnis) {
        if (vnis == null) {
            return;
        }
        for (Object o : vnis) {
            if (!(o instanceof JsonObject v)) {
                throw new IllegalArgumentException("config: vnis must be a list of objects");
            }
            JsonObject body = v.copy();
            JsonArray ports = (JsonArray) body.remove("ports");
            JsonArray fdb = (JsonArray) body.remove("fdb");
            Vni vni = Params.vni(String.valueOf(body.getValue("vni")));
            if (!services.vnis().exists(vni)) {
                services.vnis().create(JsonCodec.vniSpec(JsonCodec.object(body.toBuffer(), JsonCodec.VNI_FIELDS)));
            }
            if (ports != null) {
                for (Object p : ports) {
                    JsonObject po = (JsonObject) p;
                    boolean present = services.ports().list(vni).stream()
                            .anyMatch(x -> po.getString("ifname").equals(x.ifname()));
                    if (!present) {
                        services.ports().add(vni, po.getString("ifname"), Boolean.TRUE.equals(po.getBoolean("xdp")),
                                Boolean.TRUE.equals(po.getBoolean(io.xvtep.service.PortService.XDP_ENCAP)), null);
                    }
                }
            }
            if (fdb != null) {
                for (Object f : fdb) {
                    JsonObject fo = (JsonObject) f;
                    try {
                        services.fdb().add(vni, Params.mac(fo.getString("mac"), "mac"), Params.ip(fo.getString("dst"), "dst"),
                                fo.getString("ifname"));
                    } catch (VtepException e) {
                        if (e.kind() != VtepException.Kind.CONFLICT) {
                            throw e;
                        }
                    }
                }
            }
        }
    }
}
