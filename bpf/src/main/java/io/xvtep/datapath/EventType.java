package io.xvtep.datapath;

import java.util.Optional;

/**
 * enum xvtep_event_type of bpf/include/xvtep_consts.h: the records of the xvtep_events ring
 * buffer, with the codes of {@link Abi}. {@link #label()} is the name the API, the event
 * stream and the metrics show.
 */
public enum EventType {
    /** A new (vni, mac) behind a remote VTEP or local port. */
    LEARN(Abi.EV_LEARN),
    /** A learned (vni, mac) moved to another VTEP or port. */
    MOVE(Abi.EV_MOVE),
    /** Unicast to a (vni, mac) with no FDB entry and no default destination. */
    L2MISS(Abi.EV_L2MISS),
    /** ARP/ND for a (vni, ip) the proxy could not answer. */
    L3MISS(Abi.EV_L3MISS),
    /** The underlay neighbour of a remote VTEP is unresolved: the agent should resolve it. */
    NEIGH_MISS(Abi.EV_NEIGH_MISS);

    private final int code;

    EventType(int code) {
        this.code = code;
    }

    /** The value of xvtep_event.type. */
    public int code() {
        return code;
    }

    /** learn, move, l2miss, l3miss, neigh_miss. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Optional<EventType> of(int code) {
        for (EventType t : values()) {
            if (t.code == code) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
