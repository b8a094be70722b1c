package io.xvtep.testkit;

import org.junit.jupiter.api.Assumptions;

/** Preconditions that skip a test (rather than fail it) on a machine that can't run it. */
public final class Requires {
    private Requires() {
    }

    /** Namespaces, bpf(2), netlink and mounts need root. */
    public static void root() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "needs root (network namespaces, bpf(2), netlink, mount)");
    }
}
