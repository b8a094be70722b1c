package io.xvtep.model;

/** A VXLAN Network Identifier: 24 bits, 0 reserved (RFC 7348 section 5). */
public record Vni(int value) implements Comparable<Vni> {

    public static final int MIN = 1;
    public static final int MAX = 0xff_ffff;

    public Vni {
        if (value < MIN || value > MAX) {
            throw new IllegalArgumentException("VNI must be in " + MIN + ".." + MAX + ": " + value);
        }
    }

    public static Vni of(long v) {
        if (v < MIN || v > MAX) {
            throw new IllegalArgumentException("VNI must be in " + MIN + ".." + MAX + ": " + v);
        }
        return new Vni((int) v);
    }

    /** Decimal only: "42"; rejects signs, spaces and hex so that URLs have one spelling per VNI. */
    public static Vni parse(String s) {
        if (s == null || s.isEmpty() || s.length() > 9 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("VNI must be a decimal number in " + MIN + ".." + MAX + ": " + s);
        }
        return of(Long.parseLong(s));
    }

    @Override
    public int compareTo(Vni o) {
        return Integer.compare(value, o.value);
    }

    @Override
    public String toString() {
        return Integer.toString(value);
    }
}
