package io.xvtep.model;

/**
 * One forwarding entry of a VNI, as `bridge fdb show` would print it: the MAC sits behind
 * either a remote VTEP ({@code dst}) or a local port ({@code ifname}/{@code ifindex}).
 * All-zero MAC entries are the flood list (`bridge fdb append 00:00:00:00:00:00 dst X`).
 *
 * @param ageSeconds seconds since the datapath last saw (learned) or the agent wrote (static) it;
 *                   -1 when unknown (flood-list entries carry no timestamp)
 */
public record FdbEntry(Vni vni, Mac mac, IpAddress dst, int ifindex, String ifname, FdbType type, long ageSeconds) {

    public FdbEntry {
        if (vni == null || mac == null || type == null) {
            throw new IllegalArgumentException("vni, mac and type are required");
        }
        if ((dst == null) == (ifindex == 0)) {
            throw new IllegalArgumentException("an FDB entry points at exactly one of a remote VTEP or a local port");
        }
    }

    public boolean isRemote() {
        return dst != null;
    }
}
