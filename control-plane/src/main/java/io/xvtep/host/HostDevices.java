package io.xvtep.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host-side device of a VNI (the kernel's `vxlan0` that one gives an overlay address):
 * a veth pair NAME <-> xvd&lt;vni&gt; made with ip(8) in the agent's network namespace; the
 * xvd end becomes a port of the VNI, so frames the host sends on NAME enter the datapath and
 * frames for the host leave it through NAME.
 */
public final class HostDevices {

    private HostDevices() {
    }

    /** The name of the port end of a VNI's device (at most 11 characters). */
    public static String peerName(int vni) {
        return "xvd" + vni;
    }

    public static void create(String name, String peer, int mtu) {
        ip("link", "add", name, "mtu", Integer.toString(mtu), "type", "veth", "peer", "name", peer, "mtu",
                Integer.toString(mtu));
        try {
            ip("link", "set", peer, "up");
            ip("link", "set", name, "up");
        } catch (RuntimeException e) {
            deleteQuietly(name);
            throw e;
        }
    }

    public static void setMtu(String name, String peer, int mtu) {
        ip("link", "set", "dev", peer, "mtu", Integer.toString(mtu));
        ip("link", "set", "dev", name, "mtu", Integer.toString(mtu));
    }

    /** Deleting one end of a veth deletes both. */
    public static void deleteQuietly(String name) {
        try {
            ip("link", "del", name);
        } catch (RuntimeException e) {
            // already gone
        }
    }

    private static void ip(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + ": timed out");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", cmd) + ": interrupted", e);
        }
    }
}
