package io.xvtep.agent;

import io.xvtep.model.Ipv4;
import io.xvtep.model.VniConfig;

import java.util.List;

/** What the service returns: read-only snapshots built from the maps. */
public final class Views {

    private Views() {
    }

    /**
     * A VNI with its effective settings.
     *
     * @param local effective outer source (the VNI's own, else the agent default)
     * @param flood the all-zero FDB entries in list order (remote/group first when set at create)
     */
    public record VniView(VniConfig config, Ipv4 local, List<PortView> ports, List<Ipv4> flood) {
    }

    /** A local port; {@code ifname} is null when the interface has disappeared. */
    public record PortView(int vni, int ifindex, String ifname, boolean xdp) {
    }
}
