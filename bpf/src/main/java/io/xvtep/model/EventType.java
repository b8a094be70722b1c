package io.xvtep.model;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What the agent reports about the FDB and the neighbour table, named as `bridge monitor` /
 * `ip monitor` would; the one list of event types for the API filters, the event stream, the
 * CLI monitor and the metrics. The datapath writes learn, move, l2miss, l3miss and neigh_miss
 * (and learn_refused) to its ring buffer with the codes of enum xvtep_event_type; ageout comes from the agent's
 * reaper (no code). neigh_miss is internal (it asks the agent to resolve an underlay
 * neighbour) and is never streamed to clients.
 */
public enum EventType {
    /** A new (vni, mac) behind a remote VTEP or local port. */
    LEARN(1, true),
    /** A learned (vni, mac) moved to another VTEP or port. */
    MOVE(2, true),
    /** The reaper removed a learned entry older than its VNI's ageing time. */
    AGEOUT(0, true),
    /** Unicast to a (vni, mac) with no FDB entry and no default destination. */
    L2MISS(3, true),
    /** ARP/ND for a (vni, ip) the proxy could not answer. */
    L3MISS(4, true),
    /** The underlay neighbour of a remote VTEP is unresolved: the agent should resolve it. */
    NEIGH_MISS(5, false),
    /** A new MAC was not learned: a learning limit (host, VNI or port) is reached; at most 1/s per VNI. */
    LEARN_REFUSED(6, true);

    private final int code;
    private final boolean streamed;

    EventType(int code, boolean streamed) {
        this.code = code;
        this.streamed = streamed;
    }

    /** The value of xvtep_event.type (0: not a datapath event). */
    public int code() {
        return code;
    }

    /** The name in the API, the event stream, the CLI and the metrics (learn, l2miss, neigh_miss ...). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether /api/v1/events and `xvtep monitor` carry it. */
    public boolean streamed() {
        return streamed;
    }

    /** A datapath event type by its code. */
    public static Optional<EventType> of(int code) {
        return code == 0 ? Optional.empty() : Arrays.stream(values()).filter(t -> t.code == code).findFirst();
    }

    /** The labels clients can subscribe to, in declaration order. */
    public static List<String> streamedLabels() {
        return Arrays.stream(values()).filter(EventType::streamed).map(EventType::label).toList();
    }

    /** A streamed type by label. */
    public static Optional<EventType> streamed(String label) {
        return Arrays.stream(values()).filter(t -> t.streamed && t.label().equals(label)).findFirst();
    }
}
