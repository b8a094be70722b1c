package io.xvtep.host;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Which devices may become ports. A port's TC program takes every frame the device receives into
 * the overlay, so a device the host itself talks through must never be one: the loopback device
 * (the API and every local socket die), the underlay and the devices stacked on or under it (the
 * agent's own tunnel traffic loops), the device of the host's default route, the device carrying
 * the API's address. Only Ethernet devices are ports (the datapath parses Ethernet headers).
 * "Already a port" is the service's check: it knows the maps.
 *
 * <p>One snapshot of the namespace's links, addresses and default routes (three `ip -j` calls) answers
 * for any number of devices, so a restart checks all its ports at once.
 */
public final class PortEligibility {

    private record Link(String name, String linkType, Set<String> flags, String master, String link,
            List<String> globalAddrs) {
    }

    private final Map<String, Link> links;
    private final Set<String> defaultRouteDevs;

    private PortEligibility(Map<String, Link> links, Set<String> defaultRouteDevs) {
        this.links = links;
        this.defaultRouteDevs = defaultRouteDevs;
    }

    /** Reads the calling thread's network namespace; IllegalStateException if ip(8) fails. */
    public static PortEligibility read() {
        Map<String, Link> links = new HashMap<>();
        for (Object o : new JsonArray(ip("-j", "-d", "addr", "show"))) {
            JsonObject l = (JsonObject) o;
            Set<String> flags = new HashSet<>();
            l.getJsonArray("flags", new JsonArray()).forEach(f -> flags.add(String.valueOf(f)));
            List<String> addrs = new ArrayList<>();
            for (Object a : l.getJsonArray("addr_info", new JsonArray())) {
                JsonObject ai = (JsonObject) a;
                if (!"link".equals(ai.getString("scope")) && !"host".equals(ai.getString("scope"))
                        && ai.getString("local") != null) {
                    addrs.add(ai.getString("local"));
                }
            }
            // "link" names the lower device (vlan, macvlan) or the veth peer when it is in this namespace.
            String lower = l.containsKey("link_netnsid") ? null : l.getString("link");
            links.put(l.getString("ifname"), new Link(l.getString("ifname"), l.getString("link_type", ""), flags,
                    l.getString("master"), lower, addrs));
        }
        Set<String> defaults = new HashSet<>();
        for (String family : List.of("-4", "-6")) {
            for (Object o : new JsonArray(ip("-j", family, "route", "show", "default"))) {
                String dev = ((JsonObject) o).getString("dev");
                if (dev != null) {
                    defaults.add(dev);
                }
            }
        }
        return new PortEligibility(links, defaults);
    }

    /**
     * Why {@code ifname} may not be a port, or empty if it may (also when it does not exist: that is the
     * caller's "no interface" answer).
     *
     * @param underlay the underlay device's name
     * @param apiHost the address the API listens on (null: a Unix socket; 0.0.0.0 or ::: every address)
     */
    public Optional<String> refusal(String ifname, String underlay, String apiHost) {
        Link p = links.get(ifname);
        if (p == null) {
            return Optional.empty();
        }
        if (p.flags().contains("LOOPBACK") || p.linkType().equals("loopback")) {
            return Optional.of(ifname + " is the loopback device: the host's own traffic (and this API) would"
                    + " enter the overlay");
        }
        if (!p.linkType().equals("ether")) {
            return Optional.of(ifname + " is not an Ethernet device (link/" + p.linkType() + "): ports carry"
                    + " Ethernet frames");
        }
        if (ifname.equals(underlay)) {
            return Optional.of(ifname + " is the underlay interface");
        }
        Link u = links.get(underlay);
        if (u != null) {
            if (underlay.equals(p.master()) || ifname.equals(u.master())
                    || underlay.equals(p.link()) || ifname.equals(u.link())) {
                return Optional.of(ifname + " is stacked on or under the underlay " + underlay
                        + " (master, lower or veth peer): the tunnel's own frames would loop");
            }
        }
        if (defaultRouteDevs.contains(ifname)) {
            return Optional.of(ifname + " carries the host's default route: the host would lose its uplink");
        }
        if (apiHost != null) {
            String api = apiHost.startsWith("[") ? apiHost.substring(1, apiHost.length() - 1) : apiHost;
            boolean wildcard = api.equals("0.0.0.0") || api.equals("::");
            for (String a : p.globalAddrs()) {
                if (wildcard || a.equalsIgnoreCase(api)) {
                    return Optional.of(ifname + " carries " + a + ", an address the API listens on ("
                            + apiHost + ")");
                }
            }
        }
        return Optional.empty();
    }

    private static String ip(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " failed");
            }
            return out.isEmpty() ? "[]" : out;
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", cmd) + ": interrupted", e);
        }
    }
}
