package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.api.AgentHarness.Response;
import io.xvtep.datapath.MapCodec;
import io.xvtep.datapath.FloodDst;
import io.xvtep.datapath.VniCfg;
import io.xvtep.datapath.VniIdxKey;
import io.xvtep.libbpf.BpfMap;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * Base of the API integration tests: one real agent per test class (its own namespace, underlay and the
 * ports the class names), and the checks they share. Tests of a class never depend on each other's order:
 * each creates the VNIs it works on (numbers unique within the class) and looks only at what it made.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AgentApiBase {
    private final String[] ports;
    protected AgentHarness h;

    protected AgentApiBase(String... ports) {
        this.ports = ports;
    }

    /** Extra `xvtep agent` options for the class's agent. */
    protected List<String> agentArgs() {
        return List.of();
    }

    /** Whether the class's namespace has IPv6 on (2001:db8::1 on the underlay beside 198.18.0.1). */
    protected boolean ipv6Underlay() {
        return false;
    }

    @BeforeAll
    void startAgent() throws Exception {
        h = AgentHarness.prepared(ipv6Underlay(), ports);
        h.agentArgs.addAll(agentArgs());
        h.startAgent();
    }

    @AfterAll
    void stopAgent() {
        if (h != null) {
            h.close();
        }
    }

    /** A VNI body with dstport 4789 and remote 198.18.0.2, plus {@code extra} JSON members (",..."). */
    static String vni(int vni, String extra) {
        return "{\"vni\":" + vni + ",\"dstport\":4789,\"remote\":\"198.18.0.2\"" + extra + "}";
    }

    static int vniOf(JsonObject o) {
        return o.getInteger("vni");
    }

    /** Hex of a __u32 key as {@link AgentHarness#dump} prints it. */
    static String u32Hex(int v) {
        return HexFormat.of().formatHex(MapCodec.u32(v));
    }

    VniCfg vniCfg(int vni) {
        try (BpfMap m = h.map("xvtep_vnis")) {
            return m.lookup(MapCodec.u32(vni)).map(VniCfg::decode).orElse(null);
        }
    }

    Integer dstportRefs(int port) {
        try (BpfMap m = h.map("xvtep_dstports")) {
            return m.lookup(MapCodec.u16(port)).map(MapCodec::u32).orElse(null);
        }
    }

    /** The VNI's dense port list (xvtep_vni_ports 0..n_ports-1), checked to end at n_ports. */
    List<Integer> vniPorts(int vni) {
        VniCfg c = vniCfg(vni);
        List<Integer> l = new ArrayList<>();
        try (BpfMap m = h.map("xvtep_vni_ports")) {
            for (int i = 0; i < c.nPorts(); i++) {
                l.add(MapCodec.u32(m.lookup(new VniIdxKey(vni, i).encode()).orElseThrow()));
            }
            // nothing beyond n_ports: the list is dense
            assertThat(m.lookup(new VniIdxKey(vni, c.nPorts()).encode())).isEmpty();
        }
        return l;
    }

    /** The VNI's dense flood list (xvtep_flood 0..n_flood-1), checked to end at n_flood. */
    List<String> flood(int vni) {
        VniCfg c = vniCfg(vni);
        List<String> l = new ArrayList<>();
        try (BpfMap m = h.map("xvtep_flood")) {
            for (int i = 0; i < c.nFlood(); i++) {
                l.add(FloodDst.decode(m.lookup(new VniIdxKey(vni, i).encode()).orElseThrow()).dst().toString());
            }
            assertThat(m.lookup(new VniIdxKey(vni, c.nFlood()).encode())).isEmpty();
        }
        return l;
    }

    boolean tcAttached(String ifname) {
        return h.in("tc", "filter", "show", "dev", ifname, "ingress").contains("tc_port_ingress");
    }

    /** Asserts that a refused request answers {@code status} naming {@code field} and changes no map byte. */
    void refused(String method, String path, String body, int status, String field) {
        var before = h.snapshot();
        Response r = h.request(method, path, body);
        assertThat(r.status()).as(method + " " + path + " " + body + " -> " + r.body()).isEqualTo(status);
        JsonObject err = r.json();
        assertThat(err.getString("error")).isNotBlank();
        if (field != null) {
            assertThat(err.getString("field")).as(r.body()).isEqualTo(field);
        }
        assertThat(h.snapshot()).as("maps after refused " + method + " " + path + " " + body).isEqualTo(before);
    }

    /**
     * Follows {@code ?limit=} pages by their Link headers from {@code first}: every page at most
     * {@code limit} entries (more only to finish a key), compact JSON; returns all entries in order.
     */
    JsonArray followPages(String first, int limit) {
        JsonArray all = new JsonArray();
        String next = first;
        int pages = 0;
        while (next != null) {
            io.xvtep.testkit.NetnsHttpClient.Response r = h.getWithHeaders(next);
            assertThat(r.status()).as(next + " -> " + r.body()).isEqualTo(200);
            assertThat(r.body()).as("compact JSON").doesNotContain("\n ").endsWith("\n");
            JsonArray page = new JsonArray(r.body());
            all.addAll(page);
            java.util.List<String> link = r.headers().getOrDefault("link", java.util.List.of());
            if (link.isEmpty()) {
                next = null;
            } else {
                assertThat(page.size()).isGreaterThanOrEqualTo(limit);
                String l = link.get(0);
                assertThat(l).startsWith("<").endsWith(">; rel=\"next\"");
                next = l.substring(1, l.indexOf('>'));
            }
            assertThat(++pages).as("pages").isLessThan(10_000);
        }
        return all;
    }
}
