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
 */
public final class PeerOffloads {

    private static final Pattern LINK_INDEX = Pattern.compile("\"link_index\":(\\d+)");
    private static final Pattern LINK_NETNSID = Pattern.compile("\"link_netnsid\":(\\d+)");
    private static final Pattern FEATURE_ON = Pattern.compile("(?m)^\\s*(tx-[a-z0-9_-]+): on$");

    private PeerOffloads() {
    }

    /** Turns the peer's segmentation offloads off: empty when done, else why it could not be. */
    public static Optional<String> segmentationOff(String port) {
        if (!Interfaces.validName(port)) {
            return Optional.of("not an interface name: " + port);
        }
        Result link = run("ip", "-j", "-d", "link", "show", "dev", port);
        Matcher idx = LINK_INDEX.matcher(link.out());
        if (link.code() != 0 || !link.out().contains("\"info_kind\":\"veth\"") || !idx.find()) {
            return Optional.of(port + " is not a veth: its sender is not reachable from here");
        }
        int peerIndex = Integer.parseInt(idx.group(1));
        Matcher nsid = LINK_NETNSID.matcher(link.out());
        List<String> in = new ArrayList<>();
        if (nsid.find()) {
            Optional<String> ns = namedNetns(Integer.parseInt(nsid.group(1)));
            if (ns.isEmpty()) {
                return Optional.of("the peer of " + port + " is in an unnamed network namespace (nsid " + nsid.group(1)
                        + "): turn its tx-*-segmentation offloads off there (the CNI plugin does)");
            }
            in = List.of("nsenter", "--net=/run/netns/" + ns.get());
        }
        Result peerLink = run(cmd(in, "ip", "-o", "link", "show"));
        Matcher name = Pattern.compile("(?m)^" + peerIndex + ": ([^:@ ]+)[@:]").matcher(peerLink.out());
        if (!name.find()) {
            return Optional.of("the peer of " + port + " (ifindex " + peerIndex + ") was not found");
        }
        String peer = name.group(1);
        List<String> on = segmentationOn(run(cmd(in, "ethtool", "-k", peer)).out());
        if (on.isEmpty()) {
            return Optional.empty();
        }
        List<String> set = new ArrayList<>(List.of("ethtool", "-K", peer));
        on.forEach(f -> set.addAll(List.of(f, "off")));
        Result r = run(cmd(in, set.toArray(String[]::new)));
        List<String> left = segmentationOn(run(cmd(in, "ethtool", "-k", peer)).out());
        return left.isEmpty() ? Optional.empty()
                : Optional.of("still on at " + peer + " (peer of " + port + "): " + left + " " + r.out().strip());
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
