package io.xvtep.cluster;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.UpdateFlag;
import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.MapCodec;
import io.xvtep.datapath.MapCodec.FloodDst;
import io.xvtep.datapath.MapCodec.VniCfg;
import io.xvtep.datapath.MapCodec.VniIdxKey;
import io.xvtep.model.Ipv4;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Flood-list writes that mark their entries FLOOD_F_CLUSTER (flood_dst.flags), so that a
 * restarted agent can tell the destinations it added from an operator's. Same ordering as
 * {@link Datapath#addFlood}/{@link Datapath#removeFlood} (entry before count on add, count
 * before entry on remove) and under the Datapath's lock, so the two never interleave.
 */
final class ClusterMaps {

    static final int FLOOD_F_CLUSTER = FloodDst.F_CLUSTER;

    private ClusterMaps() {
    }

    static List<FloodDst> floodEntries(Datapath dp, int vni) {
        synchronized (dp) {
            Optional<VniCfg> cfg = dp.vni(vni);
            List<FloodDst> l = new ArrayList<>();
            if (cfg.isEmpty()) {
                return l;
            }
            BpfMap flood = dp.map(Datapath.MAP_FLOOD);
            for (int i = 0; i < cfg.get().nFlood(); i++) {
                flood.lookup(new VniIdxKey(vni, i).encode()).ifPresent(v -> l.add(FloodDst.decode(v)));
            }
            return l;
        }
    }

    /** @return false when the VNI is missing or its list is full */
    static boolean addFlood(Datapath dp, int vni, Ipv4 dst) {
        synchronized (dp) {
            Optional<VniCfg> c = dp.vni(vni);
            if (c.isEmpty()) {
                return false;
            }
            VniCfg cfg = c.get();
            if (floodEntries(dp, vni).stream().anyMatch(f -> f.dst().equals(dst))) {
                return true;
            }
            if (cfg.nFlood() >= Datapath.MAX_FLOOD) {
                return false;
            }
            dp.map(Datapath.MAP_FLOOD).update(new VniIdxKey(vni, cfg.nFlood()).encode(),
                    new FloodDst(dst, FLOOD_F_CLUSTER).encode(), UpdateFlag.ANY);
            dp.map(Datapath.MAP_VNIS).update(MapCodec.u32(vni),
                    cfg.withCounts(cfg.nPorts(), cfg.nFlood() + 1).encode(), UpdateFlag.EXIST);
            return true;
        }
    }

    /** Removes {@code dst} if it is a cluster entry; the last entry moves into the hole with its flags. */
    static boolean removeFlood(Datapath dp, int vni, Ipv4 dst) {
        synchronized (dp) {
            Optional<VniCfg> c = dp.vni(vni);
            if (c.isEmpty()) {
                return false;
            }
            VniCfg cfg = c.get();
            List<FloodDst> list = floodEntries(dp, vni);
            int idx = -1;
            for (int i = 0; i < list.size(); i++) {
                if (list.get(i).dst().equals(dst) && (list.get(i).flags() & FLOOD_F_CLUSTER) != 0) {
                    idx = i;
                }
            }
            if (idx < 0) {
                return false;
            }
            BpfMap flood = dp.map(Datapath.MAP_FLOOD);
            int last = cfg.nFlood() - 1;
            if (idx != last) {
                flood.update(new VniIdxKey(vni, idx).encode(), list.get(last).encode(), UpdateFlag.ANY);
            }
            dp.map(Datapath.MAP_VNIS).update(MapCodec.u32(vni), cfg.withCounts(cfg.nPorts(), last).encode(),
                    UpdateFlag.EXIST);
            flood.delete(new VniIdxKey(vni, last).encode());
            return true;
        }
    }
}
