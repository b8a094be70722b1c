package io.xvtep.datapath;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The table sizes an agent starts with (--fdb-capacity, --neigh-capacity, --max-vnis, --max-ports): the
 * maps are created with them before the objects load (bpf_map__set_max_entries), so they are chosen at
 * start, not compile time. The compile-time XVTEP_MAX_* values are only the defaults.
 *
 * @param fdb   FDB entries (learned, static and cluster together)
 * @param neigh ARP/ND proxy entries per address family (also the allowed-source table)
 * @param vnis  VNIs
 * @param ports local ports of all VNIs
 */
public record Capacities(int fdb, int neigh, int vnis, int ports) {

    public static final Capacities DEFAULT = new Capacities(Abi.MAX_FDB, Abi.MAX_NEIGH, Abi.MAX_VNIS, Abi.MAX_PORTS);

    /** Largest sizes accepted: beyond them one table alone takes gigabytes of kernel memory. */
    public static final int MAX_FDB = 1 << 25, MAX_NEIGH = 1 << 24, MAX_VNIS = 1 << 20, MAX_PORTS = 1 << 16;

    public Capacities {
        check("fdb capacity", fdb, 2 * Abi.LEARN_RESERVE, MAX_FDB);
        check("neigh capacity", neigh, 16, MAX_NEIGH);
        check("max VNIs", vnis, 1, MAX_VNIS);
        check("max ports", ports, 1, MAX_PORTS);
    }

    private static void check(String what, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(what + " must be between " + min + " and " + max + ": " + v);
        }
    }

    /**
     * Entries the datapath may learn host-wide: the FDB less a reserve that static, cluster and
     * agent-written entries always find (the C default, LEARN_DEFAULT_MAX_HOST, is the default FDB's).
     */
    public long learnMaxHost() {
        return (long) fdb - Abi.LEARN_RESERVE;
    }

    /** max_entries of every map whose size follows these capacities, by map name. */
    public Map<String, Integer> mapSizes() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put(MapNames.VNIS, vnis);
        m.put(MapNames.PORTS, ports);
        m.put(MapNames.VNI_PORTS, ports); // a port is in one VNI's list
        m.put(MapNames.FDB, fdb);
        m.put(MapNames.NEIGH, neigh);
        m.put(MapNames.NEIGH6, neigh);
        m.put(MapNames.ALLOWED_SRC, neigh);
        m.put(MapNames.STATS, vnis + 1); // + VNI 0
        m.put(MapNames.LEARN_LIMIT, 1 + vnis + ports);
        m.put(MapNames.LEARN_COUNT, 1 + vnis + ports);
        return m;
    }
}
