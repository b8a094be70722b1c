package io.xvtep.agent;

import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.MapCodec.VniCfg;

import java.io.IOException;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.util.HashMap;
import java.util.Map;

/**
 * IGMP membership of each VNI's multicast group on the underlay, as the kernel's vxlan
 * device joins its `group` on `dev`: one UDP socket per VNI holds the membership while the
 * VNI exists (so snooping switches forward the group to us) and drops it on delete.
 */
public final class MulticastGroups implements VtepService.Listener, AutoCloseable {

    private static final System.Logger LOG = System.getLogger("xvtep.agent");

    private final Datapath dp;
    private final String underlay;
    private final Map<Integer, DatagramChannel> joined = new HashMap<>();

    public MulticastGroups(Datapath dp, String underlay) {
        this.dp = dp;
        this.underlay = underlay;
    }

    /** Joins the groups of the VNIs that exist (after a restart). */
    public synchronized void joinExisting() {
        for (VniCfg c : dp.vnis()) {
            vniCreated(c.vni());
        }
    }

    @Override
    public synchronized void vniCreated(int vni) {
        if (joined.containsKey(vni)) {
            return;
        }
        dp.vni(vni).filter(c -> !c.group().isZero()).ifPresent(c -> {
            try {
                NetworkInterface ni = NetworkInterface.getByName(underlay);
                if (ni == null) {
                    throw new IOException("no interface " + underlay);
                }
                DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET).bind(null);
                try {
                    ch.join(c.group().toInet(), ni);
                } catch (IOException | RuntimeException e) {
                    ch.close();
                    throw e;
                }
                joined.put(vni, ch);
                LOG.log(System.Logger.Level.INFO, "VNI " + vni + ": joined " + c.group() + " on " + underlay);
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "VNI " + vni + ": joining " + c.group() + " on " + underlay
                        + " failed: " + e.getMessage());
            }
        });
    }

    @Override
    public synchronized void vniDeleted(int vni) {
        DatagramChannel ch = joined.remove(vni);
        if (ch != null) {
            try {
                ch.close(); // drops the membership
            } catch (IOException e) {
                // closed anyway
            }
        }
    }

    /** The VNIs whose group is joined. */
    public synchronized java.util.Set<Integer> joinedVnis() {
        return new java.util.TreeSet<>(joined.keySet());
    }

    @Override
    public synchronized void close() {
        for (Integer vni : new java.util.ArrayList<>(joined.keySet())) {
            vniDeleted(vni);
        }
    }
}
