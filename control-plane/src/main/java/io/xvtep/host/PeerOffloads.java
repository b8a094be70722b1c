package io.xvtep.host;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The segmentation offloads of the far end of a port's veth (the container's interface). A VNI over IPv6 that
 * checksums its outer UDP (no udp6zerocsumtx) cannot take GSO frames from its ports: bpf_skb_adjust_room marks
 * an encapsulated GSO frame SKB_GSO_UDP_TUNNEL, never _CSUM, so every segment would leave with the checksum of
 * the whole frame, and the datapath refuses them (drop_gso_csum). With the peer's tx-*-segmentation features off,
 * the container's stack segments before sending (software GSO at its device, as for a NIC without TSO) and TCP
 * just works. The peer is reached from the agent's namespace: here, or in a named namespace (/run/netns, where
 * iproute2, podman and containerd put them); elsewhere it is the CNI plugin's to do (it runs in the container's
 * namespace). Not restored when the port leaves: which offloads the container wants is not the agent's to know.
 *
 * A port encapsulated in XDP (xdp_encap) needs the peer's tx checksum offload off as well: a frame sent with
 * CHECKSUM_PARTIAL reaches XDP with its L4 checksum incomplete, and a frame redirected from XDP loses that state,
 * so the far container would see a bad checksum. With {@code tx-checksumming} off the sender completes every
 * checksum itself ({@link #checksumOff}).
 */
public final class PeerOffloads {

    private static final Pattern LINK_INDEX = Pattern.compile("\"link_index\":(\\d+)");
    private static final Pattern LINK_HERE = Pattern.compile("\"link\":\"([^\"/]+)\"");
    private static final Pattern LINK_NETNSID = Pattern.compile("\"link_netnsid\":(\\d+)");
    private static final Pattern FEATURE_ON = Pattern.compile("(?m)^\\s*(tx-[a-z0-9_-]+): on$");

    private PeerOffloads() {
    }

    /** Turns the peer's segmentation offloads off: empty when done, else why it could not be. */
    public static Optional<String> segmentationOff(String port) {
        Peer p = peerOf(port, "turn its tx-*-segmentation offloads off there (the CNI plugin does)");
        return p.error() != null ? Optional.of(p.error()) : p.featuresOff(PeerOffloads::segmentationOn);
    }

    /**
     * Turns the peer's tx checksum offloads off (tx-checksum-*; the kernel then drops TSO too): empty when done,
     * else why it could not be. For ports encapsulated in XDP (see the class comment).
     */
    public static Optional<String> checksumOff(String port) {
        Peer p = peerOf(port, "turn tx checksumming off there (`ethtool -K IF tx off`; the CNI plugin does with "
                + "\"xdpEncap\": true)");
        return p.error() != null ? Optional.of(p.error()) : p.featuresOff(PeerOffloads::checksumOn);
    }

    /** The tx checksum offloads on and changeable, in `ethtool -k` output. */
    static List<String> checksumOn(String ethtoolK) {
        List<String> on = new ArrayList<>();
        Matcher m = FEATURE_ON.matcher(ethtoolK);
        while (m.find()) {
            if (m.group(1).startsWith("tx-checksum-")) {
                on.add(m.group(1));
            }
        }
        return on;
    }

    /** A port's veth peer as reached from here: the command prefix to enter its namespace and its name. */
    private record Peer(List<String> in, String name, String port, String error) {
        Optional<String> featuresOff(java.util.function.Function<String, List<String>> which) {
            List<String> on = which.apply(run(cmd(in, "ethtool", "-k", name)).out());
            if (on.isEmpty()) {
                return Optional.empty();
            }
            List<String> set = new ArrayList<>(List.of("ethtool", "-K", name));
            on.forEach(f -> set.addAll(List.of(f, "off")));
            Result r = run(cmd(in, set.toArray(String[]::new)));
            List<String> left = which.apply(run(cmd(in, "ethtool", "-k", name)).out());
            return left.isEmpty() ? Optional.empty()
                    : Optional.of("still on at " + name + " (peer of " + port + "): " + left + " " + r.out().strip());
        }
    }

    private static Peer peerOf(String port, String elsewhere) {
        if (!Interfaces.validName(port)) {
            return new Peer(null, null, port, "not an interface name: " + port);
        }
        Result link = run("ip", "-j", "-d", "link", "show", "dev", port);
        Matcher idx = LINK_INDEX.matcher(link.out());
        Matcher here = LINK_HERE.matcher(link.out());
        if (link.code() == 0 && link.out().contains("\"info_kind\":\"veth\"") && !idx.find() && here.find()) {
            return new Peer(List.of(), here.group(1), port, null); // the peer is in this namespace: named directly
        }
        idx.reset();
        if (link.code() != 0 || !link.out().contains("\"info_kind\":\"veth\"") || !idx.find()) {
            return new Peer(null, null, port, port + " is not a veth: its sender is not reachable from here");
        }
        int peerIndex = Integer.parseInt(idx.group(1));
        Matcher nsid = LINK_NETNSID.matcher(link.out());
        List<String> in = new ArrayList<>();
        if (nsid.find()) {
            Optional<String> ns = namedNetns(Integer.parseInt(nsid.group(1)));
            if (ns.isEmpty()) {
                return new Peer(null, null, port, "the peer of " + port
                        + " is in an unnamed network namespace (nsid " + nsid.group(1) + "): " + elsewhere);
            }
            in = List.of("nsenter", "--net=/run/netns/" + ns.get());
        }
        Result peerLink = run(cmd(in, "ip", "-o", "link", "show"));
        Matcher name = Pattern.compile("(?m)^" + peerIndex + ": ([^:@ ]+)[@:]").matcher(peerLink.out());
        if (!name.find()) {
            return new Peer(null, null, port, "the peer of " + port + " (ifindex " + peerIndex + ") was not found");
        }
        return new Peer(in, name.group(1), port, null);
    }

    /** The offloads that hand GSO frames to the device, on and changeable, in `ethtool -k` output. */
    static List<String> segmentationOn(String ethtoolK) {
        List<String> on = new ArrayList<>();
        Matcher m = FEATURE_ON.matcher(ethtoolK);
        while (m.find()) {
            String f = m.group(1);
            // software GSO (tx-generic-segmentation) is the segmenting itself: it stays on
            if (f.equals("tx-gso-list") || f.endsWith("-segmentation") && !f.equals("tx-generic-segmentation")) {
                on.add(f);
            }
        }
        return on;
    }

    private static Optional<String> namedNetns(int nsid) {
        Matcher m = Pattern.compile("\\{\"nsid\":" + nsid + ",\"name\":\"([^\"/]+)\"").matcher(
                run("ip", "-j", "netns", "list-id").out());
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private static String[] cmd(List<String> prefix, String... args) {
        List<String> c = new ArrayList<>(prefix);
        c.addAll(List.of(args));
        return c.toArray(String[]::new);
    }

    private record Result(int code, String out) {
    }

    private static Result run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, out);
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }
}
