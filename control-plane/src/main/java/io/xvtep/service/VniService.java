package io.xvtep.service;

import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.LearnBudgets;
import io.xvtep.datapath.VniCfg;
import io.xvtep.host.HostDevices;
import io.xvtep.host.Interfaces;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Vni;
import io.xvtep.model.VniConfig;
import io.xvtep.service.VniSpec.Inheritable;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** VNIs: `ip link add/set/show/del ... type vxlan` with the kernel's options. */
public final class VniService {

    private final Vteps v;
    private final Datapath dp;
    private final VniOptions options;

    VniService(Vteps v) {
        this.v = v;
        this.dp = v.dp;
        this.options = new VniOptions(v);
    }

    public VniView create(VniSpec s) {
        synchronized (v) {
            VniConfig c = options.validate(s);
            long maxaddress = VniOptions.maxaddress(s.maxaddress());
            int vni = c.vni().value();
            List<IpAddress> allowed = options.allowedSrc(s.allowedSrc(), c.family(), c.vni());
            String device = s.device();
            if (device != null && !Interfaces.validName(device)) {
                throw VtepException.invalid("device", "not a valid interface name: " + device);
            }
            if (dp.vnis().get(vni).isPresent()) {
                throw VtepException.conflict("vni", "VNI " + vni + " already exists");
            }
            if (device != null) {
                if (Interfaces.index(device).isPresent()) {
                    throw VtepException.conflict("device", "interface " + device + " already exists");
                }
                if (Interfaces.index(HostDevices.peerName(vni)).isPresent()) {
                    throw VtepException.conflict("device", "interface " + HostDevices.peerName(vni) + " already exists");
                }
                if (dp.ports().all().size() >= dp.capacities().ports()) {
                    throw VtepException.conflict("device", "the datapath holds at most " + dp.capacities().ports() + " ports");
                }
            }
            if (dp.allowedSrc().count() + allowed.size() > dp.allowedSrc().maxEntries()) {
                throw VtepException.conflict("allowed_src", "the allowed-source table is full");
            }
            if (dp.vnis().list().size() >= dp.capacities().vnis()) {
                throw VtepException.conflict("vni", "the datapath holds at most " + dp.capacities().vnis() + " VNIs");
            }
            Map<Integer, Integer> dstports = dp.vnis().dstports();
            if (!dstports.containsKey(c.dstport()) && dstports.size() >= Datapath.MAX_DSTPORTS) {
                throw VtepException.conflict("dstport", "at most " + Datapath.MAX_DSTPORTS + " distinct dstports");
            }
            List<IpAddress> flood = new ArrayList<>();
            // The kernel's `remote X` / `group G` is the default destination: an all-zero FDB entry.
            if (c.remote() != null) {
                flood.add(c.remote());
            }
            if (c.group() != null) {
                flood.add(c.group());
            }
            VniCfg cfg = VniOptions.toCfg(c);
            int devIfindex = 0;
            boolean created = false;
            try {
                if (!allowed.isEmpty()) {
                    dp.allowedSrc().set(vni, allowed);
                    cfg = VniOptions.withFlagsAndDev(cfg, cfg.flags() | VniCfg.F_SRC_FILTER, 0);
                }
                int peerIfindex = 0;
                if (device != null) {
                    HostDevices.create(device, HostDevices.peerName(vni), c.mtu());
                    devIfindex = Interfaces.index(device).orElseThrow(() -> new IllegalStateException(device + " vanished"));
                    peerIfindex = Interfaces.index(HostDevices.peerName(vni))
                            .orElseThrow(() -> new IllegalStateException(HostDevices.peerName(vni) + " vanished"));
                    cfg = VniOptions.withFlagsAndDev(cfg, cfg.flags(), devIfindex);
                }
                dp.learnBudgets().setMax(LearnBudgets.Key.vni(vni), maxaddress); // before learning can start
                dp.createVni(cfg, flood);
                created = true;
                v.fdbCounts.flood(flood.size());
                if (peerIfindex != 0) {
                    dp.ports().attach(peerIfindex, vni, 0);
                }
            } catch (RuntimeException e) {
                dp.learnBudgets().remove(LearnBudgets.Key.vni(vni));
                if (created) {
                    dp.deleteVni(vni);
                    v.fdbCounts.unknown();
                } else {
                    dp.allowedSrc().set(vni, List.of());
                }
                if (device != null && devIfindex != 0) {
                    HostDevices.deleteQuietly(device);
                }
                throw e;
            }
            flood.forEach(v::vtepAdded);
            v.listeners.forEach(l -> l.vniCreated(vni));
            return view(dp.vnis().get(vni).orElseThrow());
        }
    }

    public List<VniView> list() {
        synchronized (v) {
            return dp.vnis().list().stream().map(this::view).toList();
        }
    }

    public VniView get(Vni vni) {
        synchronized (v) {
            return view(v.requireVni(vni));
        }
    }

    /** The VNI if this host has it. */
    public Optional<VniView> find(Vni vni) {
        synchronized (v) {
            return dp.vnis().get(vni.value()).map(this::view);
        }
    }

    /** The VNI's underlay family, if this host has it (cheap: no view is built). */
    public Optional<IpAddress.Family> family(Vni vni) {
        return dp.vnis().get(vni.value()).map(Vteps::family);
    }

    /** Whether this host has the VNI (cheap: no view is built). */
    public boolean exists(Vni vni) {
        return dp.vnis().get(vni.value()).isPresent();
    }

    /** The VNIs this host has, in order. */
    public List<Vni> numbers() {
        return dp.vnis().list().stream().map(c -> new Vni(c.vni())).toList();
    }

    /** Like `ip link del`: ports detached, FDB/flood/neigh entries and counters gone, dstport released. */
    public void delete(Vni vni) {
        synchronized (v) {
            VniCfg cfg = v.requireVni(vni);
            Optional<String> device = cfg.devIfindex() == 0 ? Optional.empty() : Interfaces.name(cfg.devIfindex());
            List<Integer> ports = dp.deleteVni(cfg.vni());
            v.fdbCounts.unknown(); // its entries, of every type, counted by the next walk
            // a VNI or port created again with the same number starts with its own budget
            dp.learnBudgets().remove(LearnBudgets.Key.vni(cfg.vni()));
            ports.forEach(p -> dp.learnBudgets().remove(LearnBudgets.Key.port(p)));
            device.ifPresent(HostDevices::deleteQuietly);
            v.listeners.forEach(l -> l.vniDeleted(cfg.vni()));
        }
    }

    /**
     * `ip link set vxlan0 type vxlan ...`: changes the options given (non-null) in {@code patch}
     * and keeps the others; the immutable ones (vni, dstport, local, group, remote, device) stay
     * as they are (the API refuses them). allowed_src replaces the list (empty: filter off).
     */
    public VniView patch(Vni vni, VniSpec patch) {
        synchronized (v) {
            VniCfg cur = v.requireVni(vni);
            VniConfig c = view(cur).config();
            VniSpec merged = new VniSpec(c.vni(), (long) c.dstport(), c.local(), c.remote(), c.group(),
                    patch.ttl() != null ? patch.ttl() : c.ttlInherit() ? Inheritable.INHERIT
                            : c.ttl() == 0 ? Inheritable.AUTO : Inheritable.of(c.ttl()),
                    patch.tos() != null ? patch.tos() : c.tosInherit() ? Inheritable.INHERIT : Inheritable.of(c.tos()),
                    patch.df() != null ? patch.df() : c.df(),
                    patch.learning() != null ? patch.learning() : c.learning(),
                    patch.proxy() != null ? patch.proxy() : c.proxy(),
                    patch.l2miss() != null ? patch.l2miss() : c.l2miss(),
                    patch.l3miss() != null ? patch.l3miss() : c.l3miss(),
                    patch.ageing() != null ? patch.ageing() : (long) c.ageing(),
                    patch.srcportMin() != null ? patch.srcportMin() : (long) c.srcportMin(),
                    patch.srcportMax() != null ? patch.srcportMax() : (long) c.srcportMax(),
                    patch.mtu() != null ? patch.mtu() : (long) c.mtu(), null, null, null,
                    patch.udp6zerocsumtx() != null ? patch.udp6zerocsumtx() : c.udp6zerocsumtx(),
                    patch.udp6zerocsumrx() != null ? patch.udp6zerocsumrx() : c.udp6zerocsumrx(),
                    patch.flowlabel() != null ? patch.flowlabel()
                            : c.flowlabelInherit() ? Inheritable.INHERIT : Inheritable.of(c.flowlabel()));
            VniConfig n = options.validate(merged, c.family());
            Long maxaddress = patch.maxaddress() == null ? null : VniOptions.maxaddress(patch.maxaddress());
            List<IpAddress> allowed = patch.allowedSrc() == null ? null
                    : options.allowedSrc(patch.allowedSrc(), c.family(), c.vni());
            if (allowed != null) {
                long others = dp.allowedSrc().count() - dp.allowedSrc().of(cur.vni()).size();
                if (others + allowed.size() > dp.allowedSrc().maxEntries()) {
                    throw VtepException.conflict("allowed_src", "the allowed-source table is full");
                }
            }
            boolean filter = allowed == null ? cur.has(VniCfg.F_SRC_FILTER) : !allowed.isEmpty();
            VniCfg next = VniOptions.toCfg(n);
            // keep the VNI's own local/group exactly as stored
            next = new VniCfg(next.vni(), next.flags() | (filter ? VniCfg.F_SRC_FILTER : 0), cur.local(), cur.group(),
                    cur.dstport(), next.srcportMin(), next.srcportMax(), next.ttl(), next.tos(), 0, 0, next.ageing(),
                    next.mtu(), cur.devIfindex(), next.label());
            if (allowed != null && filter) {
                dp.allowedSrc().set(cur.vni(), allowed); // entries first, then the flag
            }
            dp.vnis().update(next);
            if (maxaddress != null) {
                dp.learnBudgets().setMax(LearnBudgets.Key.vni(cur.vni()), maxaddress);
            }
            if (allowed != null && !filter) {
                dp.allowedSrc().set(cur.vni(), List.of()); // flag off first, then the entries
            }
            if (n.mtu() != c.mtu() && cur.devIfindex() != 0) {
                Optional<String> dev = Interfaces.name(cur.devIfindex());
                if (dev.isPresent()) {
                    HostDevices.setMtu(dev.get(), HostDevices.peerName(cur.vni()), n.mtu());
                }
            }
            v.listeners.forEach(l -> l.vniUpdated(cur.vni()));
            return view(dp.vnis().get(cur.vni()).orElseThrow());
        }
    }

    /** Back from the map: remote is the first unicast flood entry when no group is set. */
    private VniView view(VniCfg cfg) {
        List<IpAddress> flood = dp.flood().of(cfg.vni());
        List<PortView> ports = new ArrayList<>();
        for (int ifindex : dp.ports().of(cfg.vni())) {
            ports.add(PortService.view(ifindex, dp.ports().get(ifindex).orElse(null), cfg.vni(),
                    PortService.maxLearned(dp, ifindex)));
        }
        String device = cfg.devIfindex() == 0 ? null : Interfaces.name(cfg.devIfindex()).orElse(null);
        List<IpAddress> allowed = cfg.has(VniCfg.F_SRC_FILTER)
                ? dp.allowedSrc().of(cfg.vni()) : List.of();
        return new VniView(VniOptions.fromCfg(cfg, flood), v.local(cfg), ports, flood, device, allowed,
                dp.learnBudgets().max(LearnBudgets.Key.vni(cfg.vni())));
    }
}
