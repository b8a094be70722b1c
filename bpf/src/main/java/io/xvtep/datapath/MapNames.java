package io.xvtep.datapath;

/**
 * The names of xvtep's BPF maps: the names in the objects' BTF, which are also the file names of their
 * pins under the pin root. One definition, read by the tables, the pin checks and the capacity rules,
 * so none of those has to reach up to {@link Datapath} for a name.
 */
public final class MapNames {
    public static final String CONFIG = "xvtep_config", VNIS = "xvtep_vnis", PORTS = "xvtep_ports",
            VNI_PORTS = "xvtep_vni_ports", FLOOD = "xvtep_flood", FDB = "xvtep_fdb",
            NEIGH = "xvtep_neigh", NEIGH6 = "xvtep_neigh6", DSTPORTS = "xvtep_dstports",
            STATS = "xvtep_stats", EVENTS = "xvtep_events", ALLOWED_SRC = "xvtep_allowed_src",
            LEARN_LIMIT = "xvtep_learn_limit", LEARN_COUNT = "xvtep_learn_count",
            ENCAP_CACHE = "xvtep_encap_cache";

    private MapNames() {
    }
}
