package io.xvtep.service;

import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.MapCodec.FdbKey;
import io.xvtep.datapath.MapCodec.FdbValue;
import io.xvtep.datapath.MapCodec.PortCfg;
import io.xvtep.datapath.MapCodec.VniCfg;
import io.xvtep.host.Interfaces;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;
import io.xvtep.service.FdbService.FdbSpec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One bulk FDB write, all or nothing: every entry is validated first (errors name
 * `entries[i].field`), then all are written with one batch update; if the datapath refuses
 * midway, the previous entries are restored and entries that were new are removed, and a kill -9
 * midway is undone at the next start (FdbTable#putBatchAllOrNothing).
 * Runs under the services' lock (see {@link FdbService#bulk}).
 */
final class FdbBulk {

    private final Vteps v;
    private final Datapath dp;

    FdbBulk(Vteps v) {
        this.v = v;
        this.dp = v.dp;
    }

    int write(VniCfg cfg, List<FdbSpec> specs) {
        Map<FdbKey, FdbValue> batch = new LinkedHashMap<>();
        Map<String, Integer> ifindexes = new HashMap<>();
        Map<Integer, Optional<PortCfg>> portCache = new HashMap<>();
        Set<Ipv4> vteps = new LinkedHashSet<>();
        long now = System.nanoTime();
        for (int i = 0; i < specs.size(); i++) {
            FdbSpec f = specs.get(i);
            String at = "entries[" + i + "].";
            if (f == null) {
                throw VtepException.invalid("entries[" + i + "]", "entries must be objects");
            }
            Mac mac = f.mac();
            if (mac == null) {
                throw VtepException.invalid(at + "mac", at + "mac is required");
            }
            if (mac.isZero()) {
                throw VtepException.invalid(at + "mac", "the all-zero MAC is a flood destination: POST it to .../fdb");
            }
            if (mac.isMulticast()) {
                throw VtepException.invalid(at + "mac", "multicast MACs are flooded, not looked up: " + mac);
            }
            if ((f.dst() == null) == (f.ifname() == null)) {
                throw VtepException.invalid(at + "dst", "give exactly one of dst (remote VTEP) and ifname (local port)");
            }
            Ipv4 dst = null;
            int ifindex = 0;
            if (f.dst() != null) {
                dst = Vteps.destination(f.dst(), at + "dst");
            } else {
                if (!Interfaces.validName(f.ifname())) {
                    throw VtepException.invalid(at + "ifname", "not a valid interface name: " + f.ifname());
                }
                Integer idx = ifindexes.computeIfAbsent(f.ifname(), n -> Interfaces.index(n).orElse(0));
                Optional<PortCfg> p = idx == 0 ? Optional.empty() : portCache.computeIfAbsent(idx, dp.ports()::get);
                if (p.isEmpty() || p.get().vni() != cfg.vni()) {
                    throw VtepException.invalid(at + "ifname", f.ifname() + " is not a port of VNI " + cfg.vni());
                }
                ifindex = idx;
            }
            FdbKey key = new FdbKey(cfg.vni(), mac);
            if (batch.put(key, new FdbValue(dst, ifindex, FdbValue.F_STATIC, now)) != null) {
                throw VtepException.invalid(at + "mac", mac + " is listed twice");
            }
            if (dst != null && !dst.isMulticast()) {
                vteps.add(dst);
            }
        }
        if (batch.isEmpty()) {
            return 0;
        }
        // what the request overwrites, looked up key by key: reading the whole table per request made a
        // million-entry load quadratic
        Map<FdbKey, FdbValue> previous = dp.fdb().getAll(batch.keySet());
        List<FdbKey> added = new ArrayList<>();
        for (FdbKey k : batch.keySet()) {
            if (!previous.containsKey(k)) {
                added.add(k);
            }
        }
        try {
            dp.fdb().putBatchAllOrNothing(batch, previous, added);
        } catch (RuntimeException e) {
            if (Datapath.isTableFull(e)) { // the kernel counts the entries: the table said no
                throw VtepException.conflict("entries", "the FDB holds at most " + dp.fdb().maxEntries()
                        + " entries: this request adds " + added.size() + " and does not fit");
            }
            throw e;
        }
        vteps.forEach(v::vtepAdded);
        return batch.size();
    }
}
