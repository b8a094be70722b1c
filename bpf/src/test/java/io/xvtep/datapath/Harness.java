package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.BpfObject;
import io.xvtep.libbpf.Bpffs;
import io.xvtep.libbpf.Net;
import io.xvtep.libbpf.RingBuffer;
import io.xvtep.libbpf.Tc;
import io.xvtep.libbpf.TcDirection;
import io.xvtep.libbpf.TestRunResult;
import io.xvtep.libbpf.UpdateFlag;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;
import io.xvtep.testkit.Frames;
import io.xvtep.testkit.Netns;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One datapath under test: the real BPF objects loaded into a namespace of the
 * test's own, with veths for the underlay (u0) and three local ports (p1..p3).
 * The far end of every veth (u0t, p1t, ...) carries a tap that hands each frame
 * the datapath sent there to the test, so clones are checked byte by byte too.
 *
 * Underlay: u0 is 198.18.0.1 and 2001:db8::1 with MAC 02:aa:00:00:00:01; remote VTEPs 198.18.0.2-5
 * and 2001:db8::2-5 are permanent neighbours with MACs 02:bb:00:00:00:02-05.
 */
final class Harness implements AutoCloseable {
    static final String LOCAL_IP = "198.18.0.1", LOCAL_IP6 = "2001:db8::1";
    static final String UNDERLAY_MAC = "02:aa:00:00:00:01";
    static final int TC_ACT_OK = 0, TC_ACT_SHOT = 2, TC_ACT_REDIRECT = 7;
    static final int XDP_DROP = 1, XDP_PASS = 2, XDP_REDIRECT = 4;
    static final int TAP_MAX = 2048; // bytes of each frame the taps keep (tap.bpf.c)

    record Captured(String ifname, byte[] frame) {}

    final Netns ns;
    private final Path pinRoot, underlayObject;
    private long loadMs;
    private BpfObject underlay, port, portXdp, tap;
    private RingBuffer tapRing, events;
    private final List<Captured> captured = new ArrayList<>();
    private final List<XvtepEvent> eventLog = new ArrayList<>();
    private final Map<Integer, String> tapNames = new HashMap<>();
    final Map<String, Integer> ifindex = new HashMap<>();
    private final Map<Integer, Integer> nPorts = new HashMap<>(), nFlood = new HashMap<>();
    private final Map<Integer, VniCfg> vnis = new HashMap<>();
    private final Map<Integer, Integer> slots = new HashMap<>();

    /** Where the harness's objects pin their maps (a Datapath opened there takes them over). */
    Path pinRoot() {
        return pinRoot;
    }

    /** 02:bb:00:00:00:NN for 198.18.0.NN and for 2001:db8::NN (hex). */
    static String remoteMac(String ip) {
        return ip.indexOf(':') >= 0
                ? String.format("02:bb:00:00:00:%02x", Integer.parseInt(ip.substring(ip.lastIndexOf(':') + 1), 16))
                : String.format("02:bb:00:00:00:%02x", Integer.parseInt(ip.substring(ip.lastIndexOf('.') + 1)));
    }

    static Harness start() {
        return start(null, null);
    }

    /** With another build of the port object (the profile's variants, test-vm/bench profile); null: the real one. */
    static Harness start(Path portObject) {
        return start(portObject, null);
    }

    /** With another build of the underlay object (the decap profile's variants, one piece compiled out). */
    static Harness withUnderlay(Path underlayObject) {
        return start(null, underlayObject);
    }

    /** With other builds of both objects (a baseline of another map layout: the objects share the maps). */
    static Harness withObjects(Path portObject, Path underlayObject) {
        return start(portObject, underlayObject);
    }

    private static Harness start(Path portObject, Path underlayObject) {
        Netns ns = Netns.create("xvtep-pt");
        Harness h = new Harness(ns, portObject, underlayObject);
        try {
            ns.disableIpv6(); // no ND/MLD chatter on the taps: only what the datapath sends
            h.setUp();
            return h;
        } catch (RuntimeException | Error e) {
            h.close();
            throw e;
        }
    }

    private final Path portObject;

    private Harness(Netns ns, Path portObject, Path underlayObject) {
        this.ns = ns;
        this.portObject = portObject;
        this.underlayObject = underlayObject;
        this.pinRoot = Path.of("/sys/fs/bpf", ns.name());
    }

    private static Path resource(String name) {
        try {
            var url = Harness.class.getResource("/bpf/" + name);
            if (url == null) throw new IllegalStateException("missing resource /bpf/" + name + " (run mvn from the repo root)");
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private void setUp() {
        ns.ip("link", "add", "u0", "address", UNDERLAY_MAC, "type", "veth", "peer", "name", "u0t");
        for (String p : List.of("p1", "p2", "p3")) ns.ip("link", "add", p, "type", "veth", "peer", "name", p + "t");
        for (String d : List.of("u0", "u0t", "p1", "p1t", "p2", "p2t", "p3", "p3t")) ns.ip("link", "set", d, "up");
        ns.ip("addr", "add", LOCAL_IP + "/24", "dev", "u0");
        for (int n = 2; n <= 5; n++) {
            String ip = "198.18.0." + n;
            ns.ip("neigh", "add", ip, "lladdr", remoteMac(ip), "dev", "u0", "nud", "permanent");
        }
        ns.ip("route", "add", "224.0.0.0/4", "dev", "u0");
        // IPv6 on u0 only, quiet: no address (no DAD), no router solicitation; a route is all bpf_fib_lookup
        // needs (the source is the datapath's). Forwarding joins ff02::2, whose MLD reports the taps skip.
        ns.exec("sysctl", "-qw", "net.ipv6.conf.u0.addr_gen_mode=1", "net.ipv6.conf.u0.router_solicitations=0",
                "net.ipv6.conf.u0.accept_dad=0", "net.ipv6.conf.u0.disable_ipv6=0", "net.ipv6.conf.u0.forwarding=1");
        ns.ip("-6", "route", "add", "2001:db8::/64", "dev", "u0");
        for (int n = 2; n <= 5; n++) {
            String ip = "2001:db8::" + n;
            ns.ip("-6", "neigh", "add", ip, "lladdr", remoteMac(ip), "dev", "u0", "nud", "permanent");
        }
        // bpf_fib_lookup answers only for devices with forwarding on; the agent sets the same.
        ns.exec("sysctl", "-qw", "net.ipv4.conf.u0.forwarding=1");
        ns.call(() -> {
            for (String d : List.of("u0", "u0t", "p1", "p1t", "p2", "p2t", "p3", "p3t")) ifindex.put(d, Net.ifindex(d));
            Bpffs.ensureMounted(Path.of("/sys/fs/bpf"));
            long t0 = System.nanoTime();
            underlay = BpfObject.open(underlayObject != null ? underlayObject : resource("xvtep_underlay.bpf.o"), pinRoot);
            underlay.load();
            port = BpfObject.open(portObject != null ? portObject : resource("xvtep_port.bpf.o"), pinRoot);
            port.load();
            if (portObject == null || underlayObject == null) { // not with a baseline of both objects (another layout)
                portXdp = BpfObject.open(resource("xvtep_port_xdp.bpf.o"), pinRoot);
                portXdp.load();
            }
            loadMs = (System.nanoTime() - t0) / 1_000_000;
            tap = BpfObject.open(resource("tap.bpf.o"), null);
            tap.load();
            for (String t : List.of("u0t", "p1t", "p2t", "p3t")) {
                Tc.attach(ifindex.get(t), TcDirection.INGRESS, tap.program("tap_ingress"), 1, 1);
                tapNames.put(ifindex.get(t), t.substring(0, t.length() - 1));
            }
            tapRing = new RingBuffer(tap.map("tap_frames"), buf -> {
                ByteBuffer b = buf.order(ByteOrder.LITTLE_ENDIAN);
                int ifx = b.getInt(0), len = b.getInt(4);
                byte[] f = new byte[Math.min(len, TAP_MAX)];
                b.get(8, f);
                if (b.getInt(8 + TAP_MAX) != 0) { // the tag as it was in the frame, before the veth moved it to metadata
                    f = HostileFrames.tagged(f, Short.toUnsignedInt(Short.reverseBytes(b.getShort(8 + TAP_MAX + 4))),
                            Short.toUnsignedInt(b.getShort(8 + TAP_MAX + 6)));
                }
                if (isMld(f)) {
                    return; // the kernel's own MLD report for u0 (never a frame the datapath sends)
                }
                captured.add(new Captured(tapNames.getOrDefault(ifx, "if" + ifx), f));
            });
            events = new RingBuffer(map("xvtep_events"), buf -> {
                byte[] e = new byte[XvtepEvent.SIZE];
                buf.get(0, e);
                eventLog.add(XvtepEvent.decode(e));
            });
            map("xvtep_config").update(MapCodec.u32(0), config(0).encode(), UpdateFlag.ANY);
            return null;
        });
    }

    /**
     * {@code n} more veths q0..q{n-1} (far ends q0t..) for lists longer than p1..p3, created with one
     * `ip -batch` (a thousand `ip` runs take minutes on a loaded host). Their taps sit on TC egress of
     * q0.. (see {@link #tapEgress}).
     */
    Harness morePorts(int n) {
        try {
            Path batch = java.nio.file.Files.createTempFile("xvtep-ports", ".ip");
            try {
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < n; i++) b.append("link add q").append(i).append(" type veth peer name q").append(i).append("t\n");
                for (int i = 0; i < n; i++) b.append("link set q").append(i).append(" up\nlink set q").append(i).append("t up\n");
                java.nio.file.Files.writeString(batch, b);
                ns.exec("ip", "-batch", batch.toString());
            } finally {
                java.nio.file.Files.deleteIfExists(batch);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ns.call(() -> {
            for (int i = 0; i < n; i++) {
                ifindex.put("q" + i, Net.ifindex("q" + i));
                ifindex.put("q" + i + "t", Net.ifindex("q" + i + "t"));
            }
            return null;
        });
        for (int i = 0; i < n; i++) tapEgress("q" + i);
        return this;
    }

    /**
     * Moves the tap of `dev` from its veth peer's ingress to `dev`'s own TC egress: it sees what the
     * datapath handed to `dev` and consumes it there (a successful transmit for the sender). For bursts of more than a thousand copies: a veth
     * hands every frame to the per-CPU backlog (net.core.netdev_max_backlog, 1000 by default, a
     * host-wide setting), which a burst that size overflows before the far end sees the frames.
     */
    Harness tapEgress(String dev) {
        ns.call(() -> {
            int ifx = Net.ifindex(dev);
            Tc.attach(ifx, TcDirection.EGRESS, tap.program("tap_egress"), 1, 1);
            tapNames.put(ifx, dev);
            return null;
        });
        return this;
    }

    /** Consumes everything handed to `dev` at its TC egress, seen by no tap (for benchmarks). */
    Harness sinkEgress(String dev) {
        ns.call(() -> {
            Tc.attach(Net.ifindex(dev), TcDirection.EGRESS, tap.program("sink_egress"), 1, 1);
            return null;
        });
        return this;
    }

    /** ms the two datapath objects took to open and load (the verifier's share of an agent start). */
    long loadMs() {
        return loadMs;
    }

    Harness configFlags(int flags) {
        ns.call(() -> {
            map("xvtep_config").update(MapCodec.u32(0), config(flags).encode(), UpdateFlag.ANY);
            return null;
        });
        return this;
    }

    /** An IPv6 frame with a hop-by-hop header first (MLD reports carry the router alert): the kernel's, never ours. */
    private static boolean isMld(byte[] f) {
        return f.length > 20 && (f[12] & 0xff) == 0x86 && (f[13] & 0xff) == 0xdd && f[20] == 0;
    }

    /** The host's underlay addresses of both families on u0. */
    private XvtepConfig config(int flags) {
        return new XvtepConfig(ifindex.get("u0"), IpAddress.parse(LOCAL_IP), IpAddress.parse(LOCAL_IP6),
                Mac.parse(UNDERLAY_MAC), flags);
    }

    BpfMap map(String name) {
        return underlay.map(name);
    }

    /** A VNI as the control plane would write it; n_ports/n_flood follow port()/flood(). */
    Harness vni(int vni, int flags, int dstport) {
        return vni(new VniCfg(vni, flags, null, null, dstport, 0, 0, 64, 0, 0, 0, 300, 0, 0));
    }

    Harness vni(VniCfg cfg) {
        vnis.put(cfg.vni(), cfg);
        writeVni(cfg.vni());
        byte[] key = MapCodec.u16(cfg.dstport());
        map("xvtep_dstports").update(key, MapCodec.u32(1), UpdateFlag.ANY);
        return this;
    }

    /** The VNI as the last vni() call wrote it (without the list counts). */
    VniCfg vniCfg(int vni) {
        return vnis.get(vni);
    }

    /** The VNI's counter slot as the control plane gives them: 1, 2, ... in the order the case creates VNIs. */
    int slot(int vni) {
        return vni == 0 ? 0 : slots.computeIfAbsent(vni, v -> slots.size() + 1);
    }

    private void writeVni(int vni) {
        VniCfg c = vnis.get(vni).withCounts(nPorts.getOrDefault(vni, 0), nFlood.getOrDefault(vni, 0))
                .withStatsSlot(vnis.get(vni).statsSlot() != 0 ? vnis.get(vni).statsSlot() : slot(vni));
        // An older build measured alongside (the decap profile's baseline) may know a shorter vni_cfg: fields are only
        // ever appended, so its prefix is that build's layout.
        BpfMap m = map("xvtep_vnis");
        m.update(MapCodec.u32(vni), java.util.Arrays.copyOf(c.encode(), Math.min(VniCfg.SIZE, m.valueSize())), UpdateFlag.ANY);
    }

    Harness port(String ifname, int vni, int flags) {
        int ifx = ifindex.get(ifname), idx = nPorts.getOrDefault(vni, 0);
        map("xvtep_ports").update(MapCodec.u32(ifx), new PortCfg(vni, flags).encode(), UpdateFlag.ANY);
        map("xvtep_vni_ports").update(new VniIdxKey(vni, idx).encode(), MapCodec.u32(ifx), UpdateFlag.ANY);
        nPorts.put(vni, idx + 1);
        writeVni(vni);
        return this;
    }

    Harness flood(int vni, String dst) {
        int idx = nFlood.getOrDefault(vni, 0);
        map("xvtep_flood").update(new VniIdxKey(vni, idx).encode(), new FloodDst(IpAddress.parse(dst), 0).encode(),
                UpdateFlag.ANY);
        nFlood.put(vni, idx + 1);
        writeVni(vni);
        return this;
    }

    Harness fdbRemote(int vni, String mac, String remote, int flags) {
        return fdb(vni, mac, new FdbValue(IpAddress.parse(remote), 0, flags, System.nanoTime()));
    }

    Harness fdbPort(int vni, String mac, String ifname, int flags) {
        return fdb(vni, mac, new FdbValue(null, ifindex.get(ifname), flags, System.nanoTime()));
    }

    Harness fdb(int vni, String mac, FdbValue v) {
        map("xvtep_fdb").update(new FdbKey(vni, Mac.parse(mac)).encode(), v.encode(), UpdateFlag.ANY);
        return this;
    }

    Harness neigh(int vni, String ip, String mac) {
        map("xvtep_neigh").update(new NeighKey(vni, Ipv4.parse(ip)).encode(),
                new NeighEntry(Mac.parse(mac), 0).encode(), UpdateFlag.ANY);
        return this;
    }

    Harness neigh6(int vni, String ip, String mac) {
        return neigh6(vni, ip, mac, 0);
    }

    Harness neigh6(int vni, String ip, String mac, int flags) {
        map("xvtep_neigh6").update(new Neigh6Key(vni, Frames.ip6(ip)).encode(),
                new NeighEntry(Mac.parse(mac), flags).encode(), UpdateFlag.ANY);
        return this;
    }

    /** struct vni_src_key {vni, src} -> 0: a VTEP the VNI accepts (with VNI_F_SRC_FILTER). */
    Harness allowedSrc(int vni, String src) {
        map("xvtep_allowed_src").update(new VniSrcKey(vni, IpAddress.parse(src)).encode(), MapCodec.u32(0),
                UpdateFlag.ANY);
        return this;
    }

    /** A learning budget as the control plane writes it (LearnBudgets), and what the datapath has counted. */
    Harness learnBudget(LearnBudgets.Key k, long max, long forgotten, long counted) {
        map("xvtep_learn_limit").update(new LearnKey(k.scope().ordinal(), k.id()).encode(),
                new LearnLimit(forgotten, max).encode(), UpdateFlag.ANY);
        map("xvtep_learn_count").update(new LearnKey(k.scope().ordinal(), k.id()).encode(),
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(counted).array(), UpdateFlag.ANY);
        return this;
    }

    /** An outer-header cache entry as the datapath writes it, MAC from u0 to `dmac`, built at `builtNs` (CLOCK_MONOTONIC). */
    Harness encapCacheEntry(String src, String dst, long builtNs, String dmac) {
        EncapCacheKey key = new EncapCacheKey(IpAddress.parse(src), IpAddress.parse(dst));
        map(MapNames.ENCAP_CACHE).update(key.encode(),
                EncapCacheEntry.of(key, builtNs, ifindex.get("u0"), Mac.parse(dmac), Mac.parse(UNDERLAY_MAC)).encode(),
                UpdateFlag.ANY);
        return this;
    }

    /** What the outer-header cache holds. */
    Map<EncapCacheKey, EncapCacheEntry> encapCache() {
        return new EncapCacheTable(map(MapNames.ENCAP_CACHE)).entries();
    }

    LearnBudgets learnBudgets() {
        return new LearnBudgets(map("xvtep_learn_limit"), map("xvtep_learn_count"));
    }

    Optional<FdbValue> fdbGet(int vni, String mac) {
        return map("xvtep_fdb").lookup(new FdbKey(vni, Mac.parse(mac)).encode()).map(FdbValue::decode);
    }

    /** Runs `program` on `frame` as if it arrived on `ingress`; collects what the taps saw. */
    TestRunResult run(String program, byte[] frame, String ingress) {
        return run(program, frame, ingress, 0);
    }

    /** The same as a GSO skb of segment size `gsoSize` (0: none; TC only). */
    TestRunResult run(String program, byte[] frame, String ingress, int gsoSize) {
        captured.clear();
        eventLog.clear();
        return ns.call(() -> {
            BpfObject obj = objectOf(program);
            TestRunResult r;
            if (program.equals("xdp_port")) { // arrives on the port: ingress_ifindex selects it
                r = obj.program(program).testRunCtx(frame,
                        io.xvtep.libbpf.BpfProgram.xdpContext(ifindex.get(ingress), 0, frame.length), 1);
            } else if (program.startsWith("xdp")) {
                r = obj.program(program).testRun(frame, 1);
            } else {
                byte[] ctx = new byte[192]; // struct __sk_buff; ifindex at 40 selects the device
                ByteBuffer.wrap(ctx).order(ByteOrder.LITTLE_ENDIAN).putInt(40, ifindex.get(ingress))
                        .putInt(176, gsoSize); // __sk_buff.gso_size
                r = obj.program(program).testRunCtx(frame, ctx, 1);
            }
            drainTaps();
            return r;
        });
    }

    /**
     * Mean kernel-measured ns of `iterations` single runs. Not `repeat`: the kernel reruns a
     * program on the same buffer, so a decapsulating or encapsulating program would see its
     * own output from the second run on.
     */
    double meanNs(String program, byte[] frame, String ingress, int iterations) {
        long total = 0;
        for (long d : durationsNs(program, frame, ingress, iterations)) total += d;
        return (double) total / iterations;
    }

    /** Kernel-measured ns of each of `iterations` single runs (see meanNs). */
    long[] durationsNs(String program, byte[] frame, String ingress, int iterations) {
        return ns.call(() -> {
            var prog = objectOf(program).program(program);
            byte[] ctx = new byte[192];
            ByteBuffer.wrap(ctx).order(ByteOrder.LITTLE_ENDIAN).putInt(40, ifindex.getOrDefault(ingress, 1));
            byte[] xdpCtx = io.xvtep.libbpf.BpfProgram.xdpContext(ifindex.getOrDefault(ingress, 1), 0, frame.length);
            long[] ns = new long[iterations];
            for (int i = 0; i < iterations; i++) {
                TestRunResult r = program.equals("xdp_port") ? prog.testRunCtx(frame, xdpCtx, 1)
                        : program.startsWith("xdp") ? prog.testRun(frame, 1) : prog.testRunCtx(frame, ctx, 1);
                ns[i] = r.durationNs();
                if ((i & 255) == 0) while (tapRing.poll(0) > 0) captured.clear();
            }
            captured.clear();
            return ns;
        });
    }

    private void drainTaps() {
        // Clones go through the veth backlog: give the softirq a moment to hand them to the taps.
        long deadline = System.nanoTime() + 100_000_000L;
        int seen = -1;
        while (System.nanoTime() < deadline) {
            tapRing.poll(10);
            events.poll(0);
            if (captured.size() == seen) break;
            seen = captured.size();
        }
    }

    /** Attaches the real tc_port_ingress to `ifname`'s TC ingress, for frames that must really cross a veth. */
    Harness attachPort(String ifname) {
        ns.call(() -> {
            Tc.attach(ifindex.get(ifname), TcDirection.INGRESS, port.program("tc_port_ingress"), 1, 1);
            return null;
        });
        return this;
    }

    /** Runs `work` on the namespace's thread: high-volume callers (the fuzzer) batch their runs in one call. */
    <T> T inside(java.util.concurrent.Callable<T> work) {
        return ns.call(work);
    }

    io.xvtep.libbpf.BpfProgram program(String name) {
        return objectOf(name).program(name);
    }

    /** The object holding `program`: the port's TC or XDP one, else the underlay's. */
    private BpfObject objectOf(String program) {
        return switch (program) {
            case "tc_port_ingress" -> port;
            case "xdp_port" -> portXdp;
            default -> underlay;
        };
    }

    /** What the taps saw since the last call, without waiting (events are consumed and dropped). Inside only. */
    List<Captured> takeCaptured() {
        tapRing.poll(0);
        events.poll(0);
        eventLog.clear();
        List<Captured> c = List.copyOf(captured);
        captured.clear();
        return c;
    }

    List<Captured> captured() {
        return List.copyOf(captured);
    }

    List<XvtepEvent> events() {
        return List.copyOf(eventLog);
    }

    VniStats stats(int vni) {
        return ns.call(() -> VniStats.sum(map("xvtep_stats").lookupPerCpu(MapCodec.u32(slot(vni)))));
    }

    @Override
    public void close() {
        try {
            ns.call(() -> {
                if (tapRing != null) tapRing.close();
                if (events != null) events.close();
                for (BpfObject o : new BpfObject[] {tap, portXdp, port, underlay}) if (o != null) o.close();
                return null;
            });
        } catch (RuntimeException ignored) {
            // the namespace goes anyway
        } finally {
            Bpffs.removeTree(pinRoot);
            ns.close();
        }
    }
}
