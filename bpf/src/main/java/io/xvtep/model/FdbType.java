package io.xvtep.model;

import java.util.Locale;

/** Where an FDB entry came from; mirrors `bridge fdb` vocabulary. */
public enum FdbType {
    /** Added by an operator (FDB_F_STATIC): never aged, never moved by learning. */
    STATIC,
    /** Learned by the datapath from a decapsulated frame: the MAC sits behind a remote VTEP. */
    LEARNED,
    /** Learned by the datapath on a local port: the MAC sits behind that port. */
    LOCAL,
    /** Programmed from the cluster store (FDB_F_CLUSTER). */
    CLUSTER;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static FdbType parse(String s) {
        for (FdbType t : values()) {
            if (t.label().equals(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException("type must be one of static, learned, local, cluster: " + s);
    }
}
