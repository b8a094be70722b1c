package io.xvtep.host;

import io.xvtep.libbpf.Net;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * Interface lookups in the agent's network namespace. Name/index go through libc
 * (if_nametoindex works for interfaces without addresses, which java.net.NetworkInterface
 * does not list); addresses, MTU and MAC through NetworkInterface with `ip` as a fallback,
 * because /sys/class/net may show another namespace when the agent runs under nsenter.
 */
public final class Interfaces {

    private Interfaces() {
    }

    /** Linux IFNAMSIZ - 1, and no '/', ':' or whitespace. */
    public static boolean validName(String name) {
        return name != null && !name.isEmpty() && name.length() <= 15 && !name.equals(".") && !name.equals("..")
                && name.chars().noneMatch(c -> c == '/' || c == ':' || Character.isWhitespace(c) || c < 0x20);
    }

    public static OptionalInt index(String name) {
        try {
            return OptionalInt.of(Net.ifindex(name));
        } catch (IllegalArgumentException e) {
            return OptionalInt.empty();
        }
    }

    public static Optional<String> name(int ifindex) {
        try {
            return Optional.of(Net.ifname(ifindex));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * True only when the kernel says there is no interface with this index. A lookup that failed for
     * another reason (EMFILE, ENOMEM) is not an answer: false, logged.
     */
    public static boolean gone(int ifindex) {
        try {
            return Net.ifnameIfPresent(ifindex).isEmpty();
        } catch (IllegalStateException e) {
            System.getLogger("xvtep.agent").log(System.Logger.Level.WARNING, e.getMessage()
                    + ": interface state unknown, nothing changed");
            return false;
        }
    }

    /** First IPv4 address of the interface, as `ip -4 addr show` lists it. */
    public static Optional<Ipv4> firstIpv4(String name) {
        try {
            NetworkInterface ni = NetworkInterface.getByName(name);
            if (ni != null) {
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    if (a instanceof Inet4Address v4) {
                        return Optional.of(Ipv4.of(v4));
                    }
                }
            }
        } catch (SocketException e) {
            // fall through to ip(8)
        }
        String out = ip("-4", "-o", "addr", "show", "dev", name);
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            for (int i = 0; i + 1 < f.length; i++) {
                if (f[i].equals("inet")) {
                    return Optional.of(Ipv4.parse(f[i + 1].replaceAll("/.*", "")));
                }
            }
        }
        return Optional.empty();
    }

    public static int mtu(String name) {
        try {
            NetworkInterface ni = NetworkInterface.getByName(name);
            if (ni != null) {
                return ni.getMTU();
            }
        } catch (SocketException e) {
            // fall through
        }
        String[] f = ip("-o", "link", "show", "dev", name).trim().split("\\s+");
        for (int i = 0; i + 1 < f.length; i++) {
            if (f[i].equals("mtu")) {
                return Integer.parseInt(f[i + 1]);
            }
        }
        return 1500;
    }

    public static Mac mac(String name) {
        try {
            NetworkInterface ni = NetworkInterface.getByName(name);
            if (ni != null && ni.getHardwareAddress() != null && ni.getHardwareAddress().length == 6) {
                return Mac.of(ni.getHardwareAddress());
            }
        } catch (SocketException e) {
            // fall through
        }
        String[] f = ip("-o", "link", "show", "dev", name).trim().split("\\s+");
        for (int i = 0; i + 1 < f.length; i++) {
            if (f[i].equals("link/ether")) {
                return Mac.parse(f[i + 1]);
            }
        }
        return Mac.ZERO;
    }

    /**
     * The kernel's default VXLAN source port range (srcport 0 0): the namespace's
     * ip_local_port_range. /proc/sys/net follows the reader's network namespace.
     */
    public static int[] localPortRange() {
        try {
            String[] f = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
            return new int[] {Integer.parseInt(f[0]), Integer.parseInt(f[1])};
        } catch (IOException | RuntimeException e) {
            return new int[] {32768, 60999};
        }
    }

    /** A veth device (XDP on such an underlay costs GSO). */
    public static boolean isVeth(String name) {
        return validName(name) && ip("-d", "-o", "link", "show", "dev", name).contains(" veth ");
    }

    /**
     * A veth whose peer lives in another network namespace (a container's): TC may deliver
     * straight into that peer with bpf_redirect_peer, which the kernel refuses within one namespace.
     */
    public static boolean isVethToOtherNamespace(String name) {
        String d = validName(name) ? ip("-d", "-o", "link", "show", "dev", name) : "";
        return d.contains(" veth ") && (d.contains(" link-netns ") || d.contains(" link-netnsid "));
    }

    private static String ip(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "ip";
        System.arraycopy(args, 0, cmd, 1, args.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(10, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
