package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * xvtep_encap_cache: the datapath's outer-header cache (bpf/include/encap_cache.h). The datapath fills
 * it; the agent only empties it when the underlay's routes or neighbours change, so that the next frame
 * asks the FIB again. No lock: nothing here is read-modify-write, and the datapath writes it all the time.
 */
public final class EncapCacheTable {

    private final BpfMap cache;

    EncapCacheTable(BpfMap cache) {
        this.cache = cache;
    }

    /** Removes every entry; returns how many went. */
    public int flush() {
        int n = 0;
        for (byte[] k : cache.keys()) {
            if (cache.delete(k)) {
                n++;
            }
        }
        return n;
    }

    /** What is cached now, by key (not a snapshot: the datapath keeps writing). */
    public Map<EncapCacheKey, EncapCacheEntry> entries() {
        Map<EncapCacheKey, EncapCacheEntry> m = new LinkedHashMap<>();
        for (BpfMap.Entry e : cache.entries()) {
            m.put(EncapCacheKey.decode(e.key()), EncapCacheEntry.decode(e.value()));
        }
        return m;
    }
}
