package io.xvtep.host;

import io.xvtep.model.IpAddress;

import java.io.IOException;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

/**
 * IGMP membership of each VNI's multicast group on the underlay, as the kernel's vxlan
 * device joins its `group` on `dev`: one UDP socket per VNI holds the membership while the
 * VNI exists (so snooping switches forward the group to us) and drops it on delete.
 */
public final class MulticastGroups implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("xvtep.agent");

    private final String underlay;
    private final Map<Integer, DatagramChannel> joined = new HashMap<>();

    public MulticastGroups(String underlay) {
        this.underlay = underlay;
    }

    /** Joins {@code group} for {@code vni} (once; a failure is logged, the VNI works without it). */
    public synchronized void join(int vni, IpAddress group) {
        if (joined.containsKey(vni)) {
            return;
        }
        try {
            NetworkInterface ni = NetworkInterface.getByName(underlay);
            if (ni == null) {
                throw new IOException("no interface " + underlay);
            }
            DatagramChannel ch = DatagramChannel.open(group.isIpv4() ? StandardProtocolFamily.INET
                    : StandardProtocolFamily.INET6).bind(null);
            try {
                ch.join(group.inet(), ni);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            joined.put(vni, ch);
            LOG.log(System.Logger.Level.INFO, "VNI " + vni + ": joined " + group + " on " + underlay);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "VNI " + vni + ": joining " + group + " on " + underlay
                    + " failed: " + e.getMessage());
        }
    }

    public synchronized void leave(int vni) {
        DatagramChannel ch = joined.remove(vni);
        if (ch != null) {
            try {
                ch.close(); // drops the membership
            } catch (IOException e) {
                // closed anyway
            }
        }
    }

    @Override
    public synchronized void close() {
        for (Integer vni : new ArrayList<>(joined.keySet())) {
            leave(vni);
        }
    }
}
