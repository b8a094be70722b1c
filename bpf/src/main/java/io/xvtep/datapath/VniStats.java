package io.xvtep.datapath;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;

import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;

/**
 * struct vni_stats: one CPU's (or, after {@link #plus}, the summed) counters of a VNI. Every
 * counter is a __u64: the named ones, then pass[] by {@link PassReason}, drop[] by
 * {@link DropReason}, then the event counters; {@link #FIELDS} names them in that order.
 */
public record VniStats(long[] counters) {
    private static final List<String> HEAD = List.of(
            "rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "switched_packets", "switched_bytes",
            "flooded_packets", "proxied", "learned", "moved", "l2miss", "l3miss", "learn_refused");
    private static final List<String> TAIL = List.of("events_emitted", "events_lost");
    /** Offsets of pass[0] and drop[0]. */
    public static final int OFF_PASS = 8 * HEAD.size();
    public static final int OFF_DROP = OFF_PASS + 8 * PassReason.values().length;
    /** Counter names in struct order (the stats JSON's order); each a __u64 at offset 8 * index. */
    public static final List<String> FIELDS = fields();
    public static final int SIZE = 8 * FIELDS.size();
    public static final VniStats ZERO = new VniStats(new long[FIELDS.size()]);

    private static List<String> fields() {
        List<String> f = new java.util.ArrayList<>(HEAD);
        for (PassReason r : PassReason.values()) {
            f.add(r.counter());
        }
        for (DropReason r : DropReason.values()) {
            f.add(r.counter());
        }
        f.addAll(TAIL);
        return List.copyOf(f);
    }

    public static int offset(PassReason r) {
        return OFF_PASS + 8 * r.ordinal();
    }

    public static int offset(DropReason r) {
        return OFF_DROP + 8 * r.ordinal();
    }

    public long pass(PassReason r) {
        return counters[offset(r) / 8];
    }

    public long drop(DropReason r) {
        return counters[offset(r) / 8];
    }

    public VniStats {
        if (counters == null || counters.length != FIELDS.size()) {
            throw new IllegalArgumentException("vni_stats has " + FIELDS.size() + " counters");
        }
        counters = counters.clone();
    }

    public static int offset(String field) {
        int i = FIELDS.indexOf(field);
        if (i < 0) {
            throw new IllegalArgumentException("no such counter: " + field);
        }
        return 8 * i;
    }

    public long get(String field) {
        return counters[offset(field) / 8];
    }

    @Override
    public long[] counters() {
        return counters.clone();
    }

    public VniStats plus(VniStats o) {
        long[] s = new long[counters.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = counters[i] + o.counters[i];
        }
        return new VniStats(s);
    }

    /** Sums the per-CPU values of a PERCPU_HASH lookup. */
    public static VniStats sum(List<byte[]> perCpu) {
        VniStats s = ZERO;
        for (byte[] b : perCpu) {
            s = s.plus(decode(b));
        }
        return s;
    }

    public Map<String, Long> asMap() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < FIELDS.size(); i++) {
            m.put(FIELDS.get(i), counters[i]);
        }
        return m;
    }

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        ByteBuffer bb = le(b);
        for (int i = 0; i < counters.length; i++) {
            bb.putLong(8 * i, counters[i]);
        }
        return b;
    }

    public static VniStats decode(byte[] b) {
        check(b, SIZE, "vni_stats");
        ByteBuffer bb = le(b);
        long[] c = new long[FIELDS.size()];
        for (int i = 0; i < c.length; i++) {
            c[i] = bb.getLong(8 * i);
        }
        return new VniStats(c);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VniStats s && Arrays.equals(s.counters, counters);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(counters);
    }

    @Override
    public String toString() {
        return "VniStats" + asMap();
    }
}
