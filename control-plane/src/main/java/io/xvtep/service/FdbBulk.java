package io.xvtep.service;

import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.FdbKey;
import io.xvtep.datapath.FdbValue;
import io.xvtep.datapath.PortCfg;
import io.xvtep.datapath.VniCfg;
import io.xvtep.host.Interfaces;
import io.xvtep.model.IpAddress;
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
    private final Map<String, Integer> ifindexes = new HashMap<>();
    private final Map<Integer, Optional<PortCfg>> portCache = new HashMap<>();

    FdbBulk(Vteps v) {
        this.v = v;
        this.dp = v.dp;
    }

    int write(VniCfg cfg, List<FdbSpec> specs) {
        Map<FdbKey, FdbValue> batch = new LinkedHashMap<>(specs.size() * 4 / 3 + 1);
        Set<IpAddress> vteps = new LinkedHashSet<>();
        long now = System.nanoTime();
        for (int i = 0; i < specs.size(); i++) {
            try {
                FdbSpec f = specs.get(i);
                if (f == null) {
                    throw VtepException.invalid(null, "entries must be objects");
                }
                FdbValue val = value(cfg, f, now);
                if (batch.put(new FdbKey(cfg.vni(), f.mac()), val) != null) {
                    throw VtepException.invalid("mac", f.mac() + " is listed twice");
                }
                if (val.remote() != null && !val.remote().isMulticast()) {
                    vteps.add(val.remote());
                }
            } catch (VtepException e) { // the entry's field, named in the request's terms only now
                throw new VtepException(e.kind(), e.getMessage(),
                        "entries[" + i + "]" + (e.field() == null ? "" : "." + e.field()));
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
            v.fdbCounts.changed(previous, batch);
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

    /** One entry checked: its value, or a refusal naming the entry's field ("mac", "dst", "ifname"). */
    private FdbValue value(VniCfg cfg, FdbSpec f, long now) {
        Mac mac = f.mac();
        if (mac == null) {
            throw VtepException.invalid("mac", "mac is required");
        }
        if (mac.isZero()) {
            throw VtepException.invalid("mac", "the all-zero MAC is a flood destination: POST it to .../fdb");
        }
        if (mac.isMulticast()) {
            throw VtepException.invalid("mac", "multicast MACs are flooded, not looked up: " + mac);
        }
        if ((f.dst() == null) == (f.ifname() == null)) {
            throw VtepException.invalid("dst", "give exactly one of dst (remote VTEP) and ifname (local port)");
        }
        if (f.dst() != null) {
            return new FdbValue(Vteps.destination(cfg, f.dst(), "dst"), 0, FdbValue.F_STATIC, now);
        }
        if (!Interfaces.validName(f.ifname())) {
            throw VtepException.invalid("ifname", "not a valid interface name: " + f.ifname());
        }
        Integer idx = ifindexes.computeIfAbsent(f.ifname(), n -> Interfaces.index(n).orElse(0));
        Optional<PortCfg> p = idx == 0 ? Optional.empty() : portCache.computeIfAbsent(idx, dp.ports()::get);
        if (p.isEmpty() || p.get().vni() != cfg.vni()) {
            throw VtepException.invalid("ifname", f.ifname() + " is not a port of VNI " + cfg.vni());
        }
        return new FdbValue(null, idx, FdbValue.F_STATIC, now);
    }
}
