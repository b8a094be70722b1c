package io.xvtep.testkit;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Names no other run on the machine uses at the same time (namespaces, pin roots, temp files). */
public final class Unique {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Unique() {
    }

    /** {@code prefix-XXXXXXXX}: 32 random bits, so two runs (two engineers, two CI jobs) never collide. */
    public static String name(String prefix) {
        byte[] b = new byte[4];
        RANDOM.nextBytes(b);
        return prefix + "-" + HexFormat.of().formatHex(b);
    }
}
