package io.xvtep.service;

import io.xvtep.datapath.DropReason;
import io.xvtep.datapath.VniStats;
import io.xvtep.datapath.PassReason;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A VNI's datapath counters summed over CPUs, by name in the header's order (rx_packets ...,
 * drop_* reasons, pass_* reasons).
 */
public record Counters(Map<String, Long> values) {

    /** Every counter name, in order. */
    public static final List<String> FIELDS = VniStats.FIELDS;

    public static final Counters ZERO = of(VniStats.ZERO);

    /** Why a frame was dropped or passed: the metrics' reason label ("mtu") and the counter ("drop_mtu"). */
    public record Reason(String label, String counter) {
    }

    /** The datapath's drop reasons, in the header's order. */
    public static final List<Reason> DROPS = Arrays.stream(DropReason.values())
            .map(r -> new Reason(r.label(), r.counter())).toList();

    /** The reasons underlay frames are left to the kernel stack. */
    public static final List<Reason> PASSES = Arrays.stream(PassReason.values())
            .map(r -> new Reason(r.label(), r.counter())).toList();

    public Counters {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    static Counters of(VniStats s) {
        return new Counters(s.asMap());
    }

    public long get(String field) {
        Long v = values.get(field);
        if (v == null) {
            throw new IllegalArgumentException("no counter " + field);
        }
        return v;
    }

    public Counters plus(Counters o) {
        Map<String, Long> m = new LinkedHashMap<>(values);
        o.values.forEach((k, v) -> m.merge(k, v, Long::sum));
        return new Counters(m);
    }
}
