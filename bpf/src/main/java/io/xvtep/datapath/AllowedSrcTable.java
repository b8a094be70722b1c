package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.UpdateFlag;
import io.xvtep.model.IpAddress;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * xvtep_allowed_src: the VTEPs a VNI accepts VXLAN from, meaningful while the VNI has
 * VniCfg.F_SRC_FILTER. The caller orders the flag around {@link #set}: set it after writing
 * the entries when turning the filter on, clear it before removing them when turning it off.
 */
public final class AllowedSrcTable {

    private final Object lock;
    private final BpfMap allowed;

    AllowedSrcTable(Object lock, BpfMap allowed) {
        this.lock = lock;
        this.allowed = allowed;
    }

    public int maxEntries() {
        return allowed.maxEntries();
    }

    /** Entries of every VNI (a key walk). */
    public int count() {
        synchronized (lock) {
            return allowed.keys().size();
        }
    }

    /** The VNI's allowed sources, sorted. */
    public List<IpAddress> of(int vni) {
        synchronized (lock) {
            List<IpAddress> l = new ArrayList<>();
            for (BpfMap.Entry e : allowed.entries()) {
                VniSrcKey k = VniSrcKey.decode(e.key());
                if (k.vni() == vni) {
                    l.add(k.src());
                }
            }
            Collections.sort(l);
            return l;
        }
    }

    /** Makes the VNI's set exactly {@code srcs}: new entries are written before stale ones go. */
    public void set(int vni, Collection<IpAddress> srcs) {
        synchronized (lock) {
            Set<IpAddress> want = new HashSet<>(srcs);
            for (IpAddress s : want) {
                allowed.update(new VniSrcKey(vni, s).encode(), MapCodec.u32(0), UpdateFlag.ANY);
            }
            for (IpAddress s : of(vni)) {
                if (!want.contains(s)) {
                    allowed.delete(new VniSrcKey(vni, s).encode());
                }
            }
        }
    }

    void deleteVni(int vni) {
        for (BpfMap.Entry e : allowed.entries()) {
            if (VniSrcKey.decode(e.key()).vni() == vni) {
                allowed.delete(e.key());
            }
        }
    }
}
