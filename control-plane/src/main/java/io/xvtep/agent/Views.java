package io.xvtep.agent;

import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;
import io.xvtep.model.VniConfig;

import java.net.InetAddress;
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
     * @param device the host-side VNI device (null: none)
     * @param allowedSrc the VTEPs VXLAN is accepted from (empty: any)
     */
    public record VniView(VniConfig config, Ipv4 local, List<PortView> ports, List<Ipv4> flood, String device,
            List<Ipv4> allowedSrc) {

        public VniView(VniConfig config, Ipv4 local, List<PortView> ports, List<Ipv4> flood) {
            this(config, local, ports, flood, null, List.of());
        }
    }

    /** A local port; {@code ifname} is null when the interface has disappeared. */
    public record PortView(int vni, int ifindex, String ifname, boolean xdp) {
    }

    /** A neighbour-table entry (the ARP/ND proxy's data). */
    public record NeighView(int vni, InetAddress ip, Mac mac) {
    }
}
