package io.xvtep.host;

import io.xvtep.model.IpAddress.Family;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * bpf_fib_lookup, which gives encapsulated frames their outer MACs, only answers for a
 * device with forwarding on for the lookup's family (net.ipv4/ipv6.conf.DEV.forwarding). The
 * agent turns it on for the underlay device alone, for each family it has a local address of
 * (IPv6 only when asked for: on an IPv6 device forwarding also stops accepting router
 * advertisements), and remembers the value it found, so that `agent --cleanup` can put it back.
 *
 * The values are kept beside, not inside, the pin root (bpffs holds only BPF objects).
 * /proc/sys/net is the calling process's network namespace, as the agent's interfaces are.
 */
public final class UnderlaySysctl {
    private static final Path STATE = Path.of("/run/xvtep");

    private UnderlaySysctl() {
    }

    private static Path knob(String ifname, Family f) {
        if (!ifname.matches("[A-Za-z0-9_.@:-]{1,15}")) {
            throw new IllegalArgumentException("not an interface name: " + ifname);
        }
        return Path.of("/proc/sys/net", f == Family.IPV4 ? "ipv4" : "ipv6", "conf", ifname, "forwarding");
    }

    private static Path saved(String ifname, Path pinRoot, Family f) {
        return STATE.resolve(pinRoot.toString().replace('/', '_') + "." + ifname + ".forwarding"
                + (f == Family.IPV4 ? "" : "6"));
    }

    private static String name(Family f) {
        return f == Family.IPV4 ? "IPv4" : "IPv6";
    }

    public static void enableForwarding(String ifname, Path pinRoot, Family f) {
        try {
            Path knob = knob(ifname, f);
            String now = Files.readString(knob).strip();
            Path saved = saved(ifname, pinRoot, f);
            if (!Files.exists(saved)) { // a restarted agent must not record its own "1"
                Files.createDirectories(STATE);
                Files.writeString(saved, now);
            }
            if (!now.equals("1")) {
                Files.writeString(knob, "1");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("enable " + name(f) + " forwarding on " + ifname, e);
        }
    }

    /** Puts back what {@link #enableForwarding} found, for each family it changed. */
    public static void restoreForwarding(String ifname, Path pinRoot) {
        for (Family f : Family.values()) {
            restoreForwarding(ifname, pinRoot, f);
        }
    }

    /** Puts back what {@link #enableForwarding} found for {@code f} (nothing when it changed nothing). */
    public static void restoreForwarding(String ifname, Path pinRoot, Family f) {
        Path saved = saved(ifname, pinRoot, f);
        try {
            if (Files.exists(saved)) {
                Path knob = knob(ifname, f);
                if (Files.exists(knob)) {
                    Files.writeString(knob, Files.readString(saved).strip());
                }
                Files.delete(saved);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("restore " + name(f) + " forwarding on " + ifname, e);
        }
    }
}
