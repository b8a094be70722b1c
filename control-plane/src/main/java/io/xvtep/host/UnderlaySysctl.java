package io.xvtep.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * bpf_fib_lookup, which gives encapsulated frames their outer MACs, only answers for a
 * device with IPv4 forwarding on. The agent turns it on for the underlay device alone
 * and remembers the value it found, so that `agent --cleanup` can put it back.
 *
 * The value is kept beside, not inside, the pin root (bpffs holds only BPF objects).
 * /proc/sys/net is the calling process's network namespace, as the agent's interfaces are.
 */
public final class UnderlaySysctl {
    private static final Path STATE = Path.of("/run/xvtep");

    private UnderlaySysctl() {
    }

    private static Path knob(String ifname) {
        if (!ifname.matches("[A-Za-z0-9_.@:-]{1,15}")) {
            throw new IllegalArgumentException("not an interface name: " + ifname);
        }
        return Path.of("/proc/sys/net/ipv4/conf", ifname, "forwarding");
    }

    private static Path saved(String ifname, Path pinRoot) {
        return STATE.resolve(pinRoot.toString().replace('/', '_') + "." + ifname + ".forwarding");
    }

    public static void enableForwarding(String ifname, Path pinRoot) {
        try {
            Path knob = knob(ifname);
            String now = Files.readString(knob).strip();
            Path saved = saved(ifname, pinRoot);
            if (!Files.exists(saved)) { // a restarted agent must not record its own "1"
                Files.createDirectories(STATE);
                Files.writeString(saved, now);
            }
            if (!now.equals("1")) {
                Files.writeString(knob, "1");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("enable IPv4 forwarding on " + ifname, e);
        }
    }

    public static void restoreForwarding(String ifname, Path pinRoot) {
        Path saved = saved(ifname, pinRoot);
        try {
            if (Files.exists(saved)) {
                Path knob = knob(ifname);
                if (Files.exists(knob)) {
                    Files.writeString(knob, Files.readString(saved).strip());
                }
                Files.delete(saved);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("restore IPv4 forwarding on " + ifname, e);
        }
    }
}
