package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.api.AgentHarness.Response;
import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.UpdateFlag;
import io.xvtep.datapath.MapCodec;
import io.xvtep.datapath.MapCodec.FdbKey;
import io.xvtep.datapath.MapCodec.FdbValue;
import io.xvtep.datapath.MapCodec.FloodDst;
import io.xvtep.datapath.MapCodec.NeighEntry;
import io.xvtep.datapath.MapCodec.NeighKey;
import io.xvtep.datapath.MapCodec.PortCfg;
import io.xvtep.datapath.MapCodec.VniCfg;
import io.xvtep.datapath.MapCodec.VniIdxKey;
import io.xvtep.datapath.MapCodec.VniStats;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The HTTP API end to end against a real agent and real pinned maps. Each test works on VNIs
 * of its own; restart and cleanup run last because they act on the whole agent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentApiIT {

    private AgentHarness h;

    @BeforeAll
    void start() throws Exception {
        h = AgentHarness.started("p1", "p2", "p3", "p4", "p5", "p6", "p7");
    }

    @AfterAll
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private static int vniOf(JsonObject o) {
        return o.getInteger("vni");
    }

    private VniCfg vniCfg(int vni) {
        try (BpfMap m = h.map("xvtep_vnis")) {
            return m.lookup(MapCodec.u32(vni)).map(VniCfg::decode).orElse(null);
        }
    }

    private Integer dstportRefs(int port) {
        try (BpfMap m = h.map("xvtep_dstports")) {
            return m.lookup(MapCodec.u16(port)).map(MapCodec::u32).orElse(null);
        }
    }

    private List<Integer> vniPorts(int vni) {
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

    private List<String> flood(int vni) {
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

    private boolean tcAttached(String ifname) throws Exception {
        return h.in("tc", "filter", "show", "dev", ifname, "ingress").contains("tc_port_ingress");
    }

    /** Asserts that a refused request answers {@code status} naming {@code field} and changes no map. */
    private void refused(String method, String path, String body, int status, String field) throws Exception {
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

    // ------------------------------------------------------------------ health

    @Test
    @Order(1)
    void healthAndReadiness() throws Exception {
        assertThat(h.get("/healthz").status()).isEqualTo(200);
        Response r = h.get("/readyz");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().getString("status")).isEqualTo("ready");
        assertThat(h.in("ip", "link", "show", "dev", "ul0")).contains("xdp_underlay");
        assertThat(h.in("tc", "filter", "show", "dev", "ul0", "ingress")).contains("tc_underlay_ing");
        // agent start created the vni 0 counters and the global config
        assertThat(h.dump("xvtep_stats")).containsKey("00000000");
        MapCodec.XvtepConfig cfg;
        try (BpfMap m = h.map("xvtep_config")) {
            cfg = MapCodec.XvtepConfig.decode(m.lookup(MapCodec.u32(0)).orElseThrow());
        }
        assertThat(cfg.underlayIfindex()).isEqualTo(h.ifindex("ul0"));
        assertThat(cfg.localIp()).isEqualTo(Ipv4.parse("198.18.0.1"));
    }

    // ------------------------------------------------------------------ VNIs

    @Test
    @Order(2)
    void createVniWithDefaults() throws Exception {
        Response r = h.post("/api/v1/vnis", "{\"vni\":100,\"dstport\":4789,\"remote\":\"198.18.0.2\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        JsonObject v = r.json();
        String[] range = h.in("cat", "/proc/sys/net/ipv4/ip_local_port_range").trim().split("\\s+");
        assertThat(v.getInteger("vni")).isEqualTo(100);
        assertThat(v.getInteger("dstport")).isEqualTo(4789);
        assertThat(v.getString("remote")).isEqualTo("198.18.0.2");
        assertThat(v.getString("local")).isEqualTo("198.18.0.1");
        assertThat(v.getValue("group")).isNull();
        assertThat(v.getInteger("ttl")).isEqualTo(64);
        assertThat(v.getInteger("tos")).isZero();
        assertThat(v.getString("df")).isEqualTo("unset");
        assertThat(v.getBoolean("learning")).isTrue();
        assertThat(v.getBoolean("proxy")).isFalse();
        assertThat(v.getBoolean("l2miss")).isFalse();
        assertThat(v.getBoolean("l3miss")).isFalse();
        assertThat(v.getInteger("ageing")).isEqualTo(300);
        assertThat(v.getInteger("srcport_min")).isEqualTo(Integer.parseInt(range[0]));
        assertThat(v.getInteger("srcport_max")).isEqualTo(Integer.parseInt(range[1]));
        assertThat(v.getInteger("mtu")).isEqualTo(1500 - 50);
        assertThat(v.getJsonArray("flood")).containsExactly("198.18.0.2");

        VniCfg c = vniCfg(100);
        assertThat(c).isEqualTo(new VniCfg(100, VniCfg.F_LEARNING, Ipv4.ANY, Ipv4.ANY, 4789,
                Integer.parseInt(range[0]), Integer.parseInt(range[1]), 64, 0, 0, 1, 300, 1450, 0));
        assertThat(flood(100)).containsExactly("198.18.0.2");
        assertThat(dstportRefs(4789)).isNotNull().isPositive();
        assertThat(h.dump("xvtep_stats")).containsKey("64000000");

        assertThat(h.get("/api/v1/vnis/100").json()).isEqualTo(v);
        JsonArray all = h.get("/api/v1/vnis").array();
        assertThat(all.stream().map(o -> vniOf((JsonObject) o))).contains(100);
    }

    @Test
    @Order(2)
    void createVniWithEveryOption() throws Exception {
        Response r = h.post("/api/v1/vnis", new JsonObject().put("vni", 101).put("dstport", 8472)
                .put("local", "198.18.0.1").put("group", "239.1.1.1").put("ttl", "inherit").put("tos", 16)
                .put("df", "set").put("learning", false).put("proxy", true).put("l2miss", true).put("l3miss", true)
                .put("ageing", 0).put("srcport_min", 1000).put("srcport_max", 2000).put("mtu", 1400).encode());
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        JsonObject v = r.json();
        assertThat(v.getString("group")).isEqualTo("239.1.1.1");
        assertThat(v.getValue("remote")).isNull();
        assertThat(v.getString("ttl")).isEqualTo("inherit");
        assertThat(v.getInteger("tos")).isEqualTo(16);
        assertThat(v.getString("df")).isEqualTo("set");
        assertThat(v.getBoolean("learning")).isFalse();
        assertThat(v.getBoolean("proxy")).isTrue();
        assertThat(v.getInteger("srcport_min")).isEqualTo(1000);
        assertThat(v.getInteger("mtu")).isEqualTo(1400);
        assertThat(v.getInteger("ageing")).isZero();

        VniCfg c = vniCfg(101);
        assertThat(c.flags()).isEqualTo(VniCfg.F_PROXY | VniCfg.F_L2MISS | VniCfg.F_L3MISS | VniCfg.F_TTL_INHERIT
                | VniCfg.F_DF_SET);
        assertThat(c.local()).isEqualTo(Ipv4.parse("198.18.0.1"));
        assertThat(c.group()).isEqualTo(Ipv4.parse("239.1.1.1"));
        assertThat(c.dstport()).isEqualTo(8472);
        assertThat(c.tos()).isEqualTo(16);
        assertThat(c.srcportMin()).isEqualTo(1000);
        assertThat(c.srcportMax()).isEqualTo(2000);
        // the group is the VNI's default destination, as `ip link add ... group G` makes it
        assertThat(flood(101)).containsExactly("239.1.1.1");
        assertThat(dstportRefs(8472)).isEqualTo(1);
    }

    static Stream<Arguments> badVnis() {
        return Stream.of(
                Arguments.of("{\"vni\":0}", "vni"),
                Arguments.of("{\"vni\":16777216}", "vni"),
                Arguments.of("{\"vni\":-1}", "vni"),
                Arguments.of("{\"vni\":99999999999999999999999}", "vni"),
                Arguments.of("{\"vni\":\"42\"}", "vni"),
                Arguments.of("{\"vni\":4.5}", "vni"),
                Arguments.of("{\"dstport\":4789}", "vni"),
                Arguments.of("{\"vni\":200,\"colour\":\"red\"}", "colour"),
                Arguments.of("{\"vni\":200,\"remote\":\"198.18.0\"}", "remote"),
                Arguments.of("{\"vni\":200,\"remote\":\"198.18.0.256\"}", "remote"),
                Arguments.of("{\"vni\":200,\"remote\":\"239.1.1.1\"}", "remote"),
                Arguments.of("{\"vni\":200,\"remote\":\"example.com\"}", "remote"),
                Arguments.of("{\"vni\":200,\"remote\":42}", "remote"),
                Arguments.of("{\"vni\":200,\"local\":\"1.2.3\"}", "local"),
                Arguments.of("{\"vni\":200,\"group\":\"198.18.0.9\"}", "group"),
                Arguments.of("{\"vni\":200,\"group\":\"239.1.1.1\",\"remote\":\"198.18.0.2\"}", "group"),
                Arguments.of("{\"vni\":200,\"dstport\":0}", "dstport"),
                Arguments.of("{\"vni\":200,\"dstport\":65536}", "dstport"),
                Arguments.of("{\"vni\":200,\"ttl\":0}", "ttl"),
                Arguments.of("{\"vni\":200,\"ttl\":256}", "ttl"),
                Arguments.of("{\"vni\":200,\"ttl\":\"auto\"}", "ttl"),
                Arguments.of("{\"vni\":200,\"tos\":256}", "tos"),
                Arguments.of("{\"vni\":200,\"df\":\"maybe\"}", "df"),
                Arguments.of("{\"vni\":200,\"learning\":\"yes\"}", "learning"),
                Arguments.of("{\"vni\":200,\"proxy\":1}", "proxy"),
                Arguments.of("{\"vni\":200,\"ageing\":-1}", "ageing"),
                Arguments.of("{\"vni\":200,\"srcport_min\":1000}", "srcport_max"),
                Arguments.of("{\"vni\":200,\"srcport_min\":2000,\"srcport_max\":1000}", "srcport_max"),
                Arguments.of("{\"vni\":200,\"srcport_min\":0,\"srcport_max\":1000}", "srcport_min"),
                Arguments.of("{\"vni\":200,\"mtu\":1451}", "mtu"),
                Arguments.of("{\"vni\":200,\"mtu\":10}", "mtu"));
    }

    @ParameterizedTest
    @MethodSource("badVnis")
    @Order(3)
    void invalidVniIsRefused(String body, String field) throws Exception {
        refused("POST", "/api/v1/vnis", body, 400, field);
        assertThat(h.get("/api/v1/vnis/200").status()).isEqualTo(404);
    }

    @Test
    @Order(3)
    void malformedBodiesAreRefused() throws Exception {
        refused("POST", "/api/v1/vnis", "{\"vni\":", 400, null);
        refused("POST", "/api/v1/vnis", "[1,2]", 400, null);
        refused("POST", "/api/v1/vnis", "", 400, null);
        refused("POST", "/api/v1/vnis", "42", 400, null);
    }

    @Test
    @Order(3)
    void duplicateVniIsAConflict() throws Exception {
        assertThat(h.post("/api/v1/vnis", "{\"vni\":102,\"remote\":\"198.18.0.2\"}").status()).isEqualTo(201);
        refused("POST", "/api/v1/vnis", "{\"vni\":102,\"remote\":\"198.18.0.3\"}", 409, "vni");
        assertThat(flood(102)).containsExactly("198.18.0.2");
    }

    @Test
    @Order(3)
    void unknownOrMalformedVniInPath() throws Exception {
        refused("GET", "/api/v1/vnis/4242", null, 404, "vni");
        refused("GET", "/api/v1/vnis/0", null, 400, "vni");
        refused("GET", "/api/v1/vnis/16777216", null, 400, "vni");
        refused("GET", "/api/v1/vnis/abc", null, 400, "vni");
        refused("DELETE", "/api/v1/vnis/4242", null, 404, "vni");
        refused("DELETE", "/api/v1/vnis/x", null, 400, "vni");
        refused("GET", "/api/v1/vnis/4242/ports", null, 404, "vni");
        refused("POST", "/api/v1/vnis/4242/ports", "{\"ifname\":\"p1\"}", 404, "vni");
        refused("DELETE", "/api/v1/vnis/4242/ports/p1", null, 404, "vni");
        refused("GET", "/api/v1/vnis/4242/fdb", null, 404, "vni");
        refused("POST", "/api/v1/vnis/4242/fdb", "{\"mac\":\"02:00:00:00:00:01\",\"dst\":\"198.18.0.2\"}", 404,
                "vni");
        refused("DELETE", "/api/v1/vnis/4242/fdb/02:00:00:00:00:01", null, 404, "vni");
        refused("GET", "/api/v1/vnis/4242/stats", null, 404, "vni");
        refused("GET", "/api/v1/nothing", null, 404, null);
        refused("PUT", "/api/v1/vnis", "{}", 405, null);
    }

    // ------------------------------------------------------------------ ports

    @Test
    @Order(4)
    void portsAttachListAndStayDense() throws Exception {
        assertThat(h.post("/api/v1/vnis", "{\"vni\":110}").status()).isEqualTo(201);
        Response r = h.post("/api/v1/vnis/110/ports", "{\"ifname\":\"p1\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().getString("ifname")).isEqualTo("p1");
        assertThat(r.json().getBoolean("xdp")).isFalse();
        assertThat(h.post("/api/v1/vnis/110/ports", "{\"ifname\":\"p2\",\"xdp\":true}").status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/110/ports", "{\"ifname\":\"p3\"}").status()).isEqualTo(201);

        int p1 = h.ifindex("p1"), p2 = h.ifindex("p2"), p3 = h.ifindex("p3");
        assertThat(vniPorts(110)).containsExactly(p1, p2, p3);
        try (BpfMap m = h.map("xvtep_ports")) {
            // veths whose peers share the agent's namespace: no bpf_redirect_peer (the kernel refuses it)
            assertThat(PortCfg.decode(m.lookup(MapCodec.u32(p1)).orElseThrow())).isEqualTo(new PortCfg(110, 0));
            assertThat(PortCfg.decode(m.lookup(MapCodec.u32(p2)).orElseThrow()))
                    .isEqualTo(new PortCfg(110, PortCfg.F_XDP));
        }
        assertThat(tcAttached("p1")).isTrue();
        assertThat(tcAttached("p2")).isTrue();

        JsonArray list = h.get("/api/v1/vnis/110/ports").array();
        assertThat(list.stream().map(o -> ((JsonObject) o).getString("ifname"))).containsExactly("p1", "p2", "p3");
        assertThat(h.get("/api/v1/vnis/110").json().getJsonArray("ports")).hasSize(3);

        // removing the first moves the last into its slot
        assertThat(h.delete("/api/v1/vnis/110/ports/p1").status()).isEqualTo(204);
        assertThat(vniPorts(110)).containsExactly(p3, p2);
        assertThat(vniCfg(110).nPorts()).isEqualTo(2);
        assertThat(tcAttached("p1")).isFalse();
        assertThat(h.dump("xvtep_ports")).doesNotContainKey(HexFormatKey.u32(p1));
        assertThat(h.delete("/api/v1/vnis/110/ports/p2").status()).isEqualTo(204);
        assertThat(vniPorts(110)).containsExactly(p3);
        assertThat(h.delete("/api/v1/vnis/110/ports/p3").status()).isEqualTo(204);
        assertThat(vniPorts(110)).isEmpty();
        assertThat(h.get("/api/v1/vnis/110/ports").array()).isEmpty();
    }

    @Test
    @Order(4)
    void portErrors() throws Exception {
        assertThat(h.post("/api/v1/vnis", "{\"vni\":111}").status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis", "{\"vni\":112}").status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/111/ports", "{\"ifname\":\"p4\"}").status()).isEqualTo(201);

        refused("POST", "/api/v1/vnis/111/ports", "{\"ifname\":\"p4\"}", 409, "ifname");
        refused("POST", "/api/v1/vnis/112/ports", "{\"ifname\":\"p4\"}", 409, "ifname");
        refused("POST", "/api/v1/vnis/111/ports", "{\"ifname\":\"ul0\"}", 409, "ifname");
        refused("POST", "/api/v1/vnis/111/ports", "{\"ifname\":\"nosuch0\"}", 404, "ifname");
        refused("POST", "/api/v1/vnis/111/ports", "{\"ifname\":\"a/b\"}", 400, "ifname");
        refused("POST", "/api/v1/vnis/111/ports", "{\"ifname\":\"waytoolonginterfacename\"}", 400, "ifname");
        refused("POST", "/api/v1/vnis/111/ports", "{}", 400, "ifname");
        refused("POST", "/api/v1/vnis/111/ports", "{\"ifname\":5}", 400, "ifname");
        refused("POST", "/api/v1/vnis/111/ports", "{\"ifname\":\"p5\",\"xdp\":\"yes\"}", 400, "xdp");
        refused("POST", "/api/v1/vnis/111/ports", "{\"ifname\":\"p5\",\"mode\":1}", 400, "mode");
        refused("POST", "/api/v1/vnis/111/ports", "not json", 400, null);
        refused("DELETE", "/api/v1/vnis/112/ports/p4", null, 404, "ifname");
        refused("DELETE", "/api/v1/vnis/111/ports/p5", null, 404, "ifname");
        refused("DELETE", "/api/v1/vnis/111/ports/nosuch0", null, 404, "ifname");
        assertThat(tcAttached("p5")).isFalse();
    }

    // ------------------------------------------------------------------ FDB

    @Test
    @Order(5)
    void staticAndFloodEntries() throws Exception {
        assertThat(h.post("/api/v1/vnis", "{\"vni\":120,\"remote\":\"198.18.0.2\"}").status()).isEqualTo(201);
        Response r = h.post("/api/v1/vnis/120/fdb", "{\"mac\":\"02:00:00:00:00:02\",\"dst\":\"198.18.0.3\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().getString("type")).isEqualTo("static");
        FdbValue v;
        try (BpfMap m = h.map("xvtep_fdb")) {
            v = FdbValue.decode(m.lookup(new FdbKey(120, Mac.parse("02:00:00:00:00:02")).encode()).orElseThrow());
        }
        assertThat(v.remote()).isEqualTo(Ipv4.parse("198.18.0.3"));
        assertThat(v.ifindex()).isZero();
        assertThat(v.flags()).isEqualTo(FdbValue.F_STATIC);

        // upper-case input, lower-case output
        assertThat(h.post("/api/v1/vnis/120/fdb", "{\"mac\":\"02:00:00:00:00:0A\",\"dst\":\"198.18.0.4\"}").status())
                .isEqualTo(201);
        // all-zero MAC: append to the flood list
        assertThat(h.post("/api/v1/vnis/120/fdb", "{\"mac\":\"00:00:00:00:00:00\",\"dst\":\"198.18.0.5\"}").status())
                .isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/120/fdb", "{\"mac\":\"00:00:00:00:00:00\",\"dst\":\"198.18.0.6\"}").status())
                .isEqualTo(201);
        assertThat(flood(120)).containsExactly("198.18.0.2", "198.18.0.5", "198.18.0.6");

        JsonArray all = h.get("/api/v1/vnis/120/fdb").array();
        assertThat(all.stream().map(o -> ((JsonObject) o).getString("mac") + " " + ((JsonObject) o).getString("dst")))
                .containsExactly("00:00:00:00:00:00 198.18.0.2", "00:00:00:00:00:00 198.18.0.5",
                        "00:00:00:00:00:00 198.18.0.6", "02:00:00:00:00:02 198.18.0.3",
                        "02:00:00:00:00:0a 198.18.0.4");
        assertThat(h.get("/api/v1/vnis/120/fdb?type=static").array()).hasSize(5);
        assertThat(h.get("/api/v1/vnis/120/fdb?type=learned").array()).isEmpty();
        assertThat(h.get("/api/v1/vnis/120/fdb?type=local").array()).isEmpty();

        // delete one flood destination: the last moves into the hole
        assertThat(h.delete("/api/v1/vnis/120/fdb/00:00:00:00:00:00?dst=198.18.0.2").status()).isEqualTo(204);
        assertThat(flood(120)).containsExactly("198.18.0.6", "198.18.0.5");
        assertThat(h.get("/api/v1/vnis/120").json().getValue("remote")).isEqualTo("198.18.0.6");
        // without dst: all of them
        assertThat(h.delete("/api/v1/vnis/120/fdb/00:00:00:00:00:00").status()).isEqualTo(204);
        assertThat(flood(120)).isEmpty();
        assertThat(vniCfg(120).nFlood()).isZero();

        assertThat(h.delete("/api/v1/vnis/120/fdb/02:00:00:00:00:02?dst=198.18.0.3").status()).isEqualTo(204);
        assertThat(h.delete("/api/v1/vnis/120/fdb/02:00:00:00:00:0A").status()).isEqualTo(204);
        assertThat(h.get("/api/v1/vnis/120/fdb").array()).isEmpty();
        assertThat(h.dump("xvtep_fdb").keySet()).noneMatch(k -> k.startsWith("78000000"));
    }

    @Test
    @Order(5)
    void fdbErrors() throws Exception {
        assertThat(h.post("/api/v1/vnis", "{\"vni\":121,\"remote\":\"198.18.0.2\"}").status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis", "{\"vni\":122}").status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/122/ports", "{\"ifname\":\"p6\"}").status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/121/fdb", "{\"mac\":\"02:00:00:00:00:02\",\"dst\":\"198.18.0.3\"}").status())
                .isEqualTo(201);
        String p = "/api/v1/vnis/121/fdb";
        refused("POST", p, "{\"mac\":\"02:00:00:00:00:02\",\"dst\":\"198.18.0.4\"}", 409, "mac");
        refused("POST", p, "{\"mac\":\"00:00:00:00:00:00\",\"dst\":\"198.18.0.2\"}", 409, "dst");
        refused("POST", p, "{\"mac\":\"02:00:00:00:00\",\"dst\":\"198.18.0.4\"}", 400, "mac");
        refused("POST", p, "{\"mac\":\"02-00-00-00-00-03\",\"dst\":\"198.18.0.4\"}", 400, "mac");
        refused("POST", p, "{\"mac\":\"01:00:5e:00:00:01\",\"dst\":\"198.18.0.4\"}", 400, "mac");
        refused("POST", p, "{\"mac\":\"02:00:00:00:00:03\",\"dst\":\"198.18.0.300\"}", 400, "dst");
        refused("POST", p, "{\"mac\":\"02:00:00:00:00:03\",\"dst\":\"0.0.0.0\"}", 400, "dst");
        refused("POST", p, "{\"mac\":\"02:00:00:00:00:03\"}", 400, "dst");
        refused("POST", p, "{\"dst\":\"198.18.0.4\"}", 400, "mac");
        refused("POST", p, "{\"mac\":\"02:00:00:00:00:03\",\"dst\":\"198.18.0.4\",\"ifname\":\"p6\"}", 400, "dst");
        refused("POST", p, "{\"mac\":\"02:00:00:00:00:03\",\"dst\":\"198.18.0.4\",\"vlan\":1}", 400, "vlan");
        refused("POST", p, "{\"mac\":\"02:00:00:00:00:03\",\"ifname\":\"p6\"}", 400, "ifname");
        refused("POST", p, "{\"mac\":\"02:00:00:00:00:03\",\"ifname\":\"nosuch0\"}", 404, "ifname");
        refused("POST", p, "{\"mac\":\"00:00:00:00:00:00\",\"ifname\":\"p6\"}", 400, "ifname");
        refused("POST", p, "{\"mac\"}", 400, null);
        refused("GET", p + "?type=dynamic", null, 400, "type");
        refused("GET", p + "?colour=red", null, 400, "colour");
        refused("DELETE", p + "/02:00:00:00:00:09", null, 404, "mac");
        refused("DELETE", p + "/02:00:00:00:00:02?dst=198.18.0.9", null, 404, "dst");
        refused("DELETE", p + "/02:00:00:00:00:02?dst=198.18", null, 400, "dst");
        refused("DELETE", p + "/zz:00:00:00:00:02", null, 400, "mac");
        refused("DELETE", p + "/00:00:00:00:00:00?dst=198.18.0.9", null, 404, "dst");
        refused("DELETE", "/api/v1/vnis/122/fdb/00:00:00:00:00:00", null, 404, "mac");
        refused("DELETE", p + "/02:00:00:00:00:02?colour=red", null, 400, "colour");
    }

    @Test
    @Order(5)
    void learnedAndLocalEntries() throws Exception {
        assertThat(h.post("/api/v1/vnis", "{\"vni\":123,\"remote\":\"198.18.0.2\"}").status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/123/ports", "{\"ifname\":\"p5\"}").status()).isEqualTo(201);
        // a second port, so that flooding has a local copy to make
        assertThat(h.post("/api/v1/vnis/123/ports", "{\"ifname\":\"p7\"}").status()).isEqualTo(201);
        // A frame from the container side: the port program learns its source MAC (type local).
        h.in("ip", "addr", "add", "10.123.0.1/24", "dev", "p5c");
        h.inQuiet("ping", "-c", "1", "-W", "1", "10.123.0.2");
        String p5cMac = h.in("ip", "-o", "link", "show", "dev", "p5c").replaceAll("(?s).*link/ether (\\S+).*", "$1");
        JsonArray local = h.get("/api/v1/vnis/123/fdb?type=local").array();
        assertThat(local).hasSize(1);
        assertThat(local.getJsonObject(0).getString("mac")).isEqualTo(p5cMac);
        assertThat(local.getJsonObject(0).getString("ifname")).isEqualTo("p5");
        assertThat(local.getJsonObject(0).getLong("age")).isBetween(0L, 60L);

        // A learned-from-remote entry as the underlay program writes it.
        Mac learned = Mac.parse("02:00:00:00:01:23");
        try (BpfMap m = h.map("xvtep_fdb")) {
            m.update(new FdbKey(123, learned).encode(),
                    new FdbValue(Ipv4.parse("198.18.0.7"), 0, 0, System.nanoTime()).encode(), UpdateFlag.ANY);
        }
        JsonArray l = h.get("/api/v1/vnis/123/fdb?type=learned").array();
        assertThat(l).hasSize(1);
        assertThat(l.getJsonObject(0).getString("dst")).isEqualTo("198.18.0.7");
        // a static entry takes over a learned one (and is then never moved by learning)
        Response r = h.post("/api/v1/vnis/123/fdb", "{\"mac\":\"02:00:00:00:01:23\",\"dst\":\"198.18.0.8\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(h.get("/api/v1/vnis/123/fdb?type=learned").array()).isEmpty();
        // static entry behind a local port
        r = h.post("/api/v1/vnis/123/fdb", "{\"mac\":\"02:00:00:00:01:24\",\"ifname\":\"p5\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().getString("ifname")).isEqualTo("p5");
        assertThat(h.get("/api/v1/vnis/123/fdb?type=static").array()).hasSize(3);

        // the ping was flooded: counters and metrics show it
        JsonObject st = h.get("/api/v1/vnis/123/stats").json();
        assertThat(st.getInteger("vni")).isEqualTo(123);
        assertThat(st.fieldNames()).containsAll(VniStats.FIELDS);
        assertThat(st.getLong("flooded_packets")).isPositive();
        assertThat(st.getLong("learned")).isPositive();
        String metrics = h.get("/metrics").body();
        assertThat(metrics).containsPattern("xvtep_flooded_packets_total\\{vni=\"123\"} [1-9]");
        assertThat(metrics).contains("xvtep_fdb_entries{type=\"local\"}");
        assertThat(metrics).containsPattern("xvtep_events_total\\{type=\"learn\"} [1-9]");

        // removing the port flushes the entries behind it, as a bridge does
        assertThat(h.delete("/api/v1/vnis/123/ports/p5").status()).isEqualTo(204);
        assertThat(h.get("/api/v1/vnis/123/fdb?type=local").array()).isEmpty();
        assertThat(h.get("/api/v1/vnis/123/fdb").array().stream()
                .map(o -> ((JsonObject) o).getString("mac"))).doesNotContain("02:00:00:00:01:24");
    }

    // ------------------------------------------------------------------ counters and metrics

    @Test
    @Order(6)
    void statsAndMetrics() throws Exception {
        assertThat(h.post("/api/v1/vnis", "{\"vni\":130}").status()).isEqualTo(201);
        JsonObject st = h.get("/api/v1/vnis/130/stats").json();
        assertThat(st.fieldNames()).hasSize(VniStats.FIELDS.size() + 1);
        VniStats.FIELDS.forEach(f -> assertThat(st.getLong(f)).as(f).isZero());

        JsonObject all = h.get("/api/v1/stats").json();
        assertThat(all.getJsonObject("vnis").fieldNames()).contains("0", "130");
        assertThat(all.getJsonObject("total").fieldNames()).containsAll(VniStats.FIELDS);

        Response m = h.get("/metrics");
        assertThat(m.status()).isEqualTo(200);
        String text = m.body();
        assertThat(text).contains("xvtep_rx_packets_total{vni=\"130\"} 0.0");
        assertThat(text).contains("xvtep_tx_bytes_total{vni=\"130\"}");
        assertThat(text).contains("xvtep_drops_total{reason=\"truncated\",vni=\"130\"}");
        assertThat(text).contains("xvtep_passed_total{reason=\"not_vxlan\",vni=\"0\"}");
        assertThat(text).contains("xvtep_fdb_entries{type=\"static\"}");
        assertThat(text).containsPattern("# HELP xvtep_rx_packets_total \\S+");
        assertThat(text).containsPattern("# HELP xvtep_drops_total \\S+");

        assertThat(h.delete("/api/v1/vnis/130").status()).isEqualTo(204);
        assertThat(h.get("/metrics").body()).doesNotContain("vni=\"130\"");
    }

    // ------------------------------------------------------------------ VNI deletion

    @Test
    @Order(7)
    void deletingAVniRemovesEverythingOfIt() throws Exception {
        assertThat(h.post("/api/v1/vnis", "{\"vni\":140,\"dstport\":4790,\"remote\":\"198.18.0.2\"}").status())
                .isEqualTo(201);
        assertThat(h.post("/api/v1/vnis", "{\"vni\":141,\"dstport\":4790}").status()).isEqualTo(201);
        assertThat(dstportRefs(4790)).isEqualTo(2);
        assertThat(h.post("/api/v1/vnis/140/ports", "{\"ifname\":\"p2\"}").status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/140/ports", "{\"ifname\":\"p3\"}").status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/140/fdb", "{\"mac\":\"02:00:00:00:01:40\",\"dst\":\"198.18.0.3\"}").status())
                .isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/140/fdb", "{\"mac\":\"00:00:00:00:00:00\",\"dst\":\"198.18.0.4\"}").status())
                .isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/141/fdb", "{\"mac\":\"02:00:00:00:01:41\",\"dst\":\"198.18.0.3\"}").status())
                .isEqualTo(201);
        try (BpfMap m = h.map("xvtep_neigh")) { // as the (future) neigh API or the proxy's table would hold it
            m.update(new NeighKey(140, Ipv4.parse("10.140.0.1")).encode(),
                    new NeighEntry(Mac.parse("02:00:00:00:01:40"), 0).encode(), UpdateFlag.ANY);
        }
        try (BpfMap m = h.map("xvtep_allowed_src")) {
            m.update(new MapCodec.VniSrcKey(140, Ipv4.parse("198.18.0.2")).encode(), MapCodec.u32(0), UpdateFlag.ANY);
        }

        assertThat(h.delete("/api/v1/vnis/140").status()).isEqualTo(204);

        assertThat(h.get("/api/v1/vnis/140").status()).isEqualTo(404);
        assertThat(vniCfg(140)).isNull();
        String vniHex = "8c000000";
        for (String map : List.of("xvtep_vni_ports", "xvtep_flood", "xvtep_fdb", "xvtep_neigh", "xvtep_allowed_src",
                "xvtep_stats")) {
            assertThat(h.dump(map).keySet()).as(map).noneMatch(k -> k.startsWith(vniHex));
        }
        assertThat(h.dump("xvtep_ports").values()).noneMatch(v -> v.startsWith(vniHex));
        assertThat(tcAttached("p2")).isFalse();
        assertThat(tcAttached("p3")).isFalse();
        assertThat(dstportRefs(4790)).isEqualTo(1);
        // the other VNI on the same dstport is untouched
        assertThat(h.get("/api/v1/vnis/141/fdb").array()).hasSize(1);
        // the ports are free again
        assertThat(h.post("/api/v1/vnis/141/ports", "{\"ifname\":\"p2\"}").status()).isEqualTo(201);
        assertThat(h.delete("/api/v1/vnis/141").status()).isEqualTo(204);
        assertThat(dstportRefs(4790)).isNull();
        assertThat(tcAttached("p2")).isFalse();
        refused("DELETE", "/api/v1/vnis/141", null, 404, "vni");
    }

    // ------------------------------------------------------------------ restart and cleanup

    @Test
    @Order(8)
    void restartKeepsEveryThingAndReplacesProgramsInPlace() throws Exception {
        assertThat(h.post("/api/v1/vnis", "{\"vni\":150,\"remote\":\"198.18.0.2\"}").status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/150/ports", "{\"ifname\":\"p1\",\"xdp\":true}").status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/150/fdb", "{\"mac\":\"02:00:00:00:01:50\",\"dst\":\"198.18.0.3\"}").status())
                .isEqualTo(201);
        JsonArray vnis = h.get("/api/v1/vnis").array();
        JsonArray fdb = h.get("/api/v1/vnis/150/fdb").array();
        var maps = h.snapshot();
        String xdpBefore = h.in("ip", "link", "show", "dev", "ul0");

        h.stopAgent();
        // forwarding state outlives the agent
        assertThat(h.in("ip", "link", "show", "dev", "ul0")).contains("xdp_underlay");
        assertThat(tcAttached("p1")).isTrue();
        h.startAgent();

        assertThat(h.get("/api/v1/vnis").array()).isEqualTo(vnis);
        assertThat(h.get("/api/v1/vnis/150/fdb").array().stream().map(o -> ((JsonObject) o).getString("mac")))
                .isEqualTo(fdb.stream().map(o -> ((JsonObject) o).getString("mac")).toList());
        assertThat(h.snapshot()).isEqualTo(maps);
        String xdpAfter = h.in("ip", "link", "show", "dev", "ul0");
        assertThat(xdpAfter).contains("xdp_underlay");
        assertThat(progId(xdpAfter)).isNotEqualTo(progId(xdpBefore));
        assertThat(tcAttached("p1")).isTrue();
        assertThat(h.get("/readyz").status()).isEqualTo(200);
    }

    private static String progId(String ipLink) {
        return ipLink.replaceAll("(?s).*prog/xdp id (\\d+).*", "$1");
    }

    @Test
    @Order(9)
    void cleanupDetachesEverythingAndRemovesThePins() throws Exception {
        h.stopAgent();
        assertThat(h.agentAlive()).isFalse();
        h.in("java", "-jar", h.jar.toString(), "agent", "--cleanup", "--underlay", "ul0", "--pin-root",
                h.pinRoot.toString());
        assertThat(Files.exists(h.pinRoot)).isFalse();
        assertThat(h.in("ip", "link", "show", "dev", "ul0")).doesNotContain("xdp");
        assertThat(h.in("tc", "filter", "show", "dev", "ul0", "ingress")).doesNotContain("tc_underlay_ing");
        for (String p : List.of("p1", "p2", "p3", "p4", "p5", "p6", "p7")) {
            assertThat(tcAttached(p)).as(p).isFalse();
        }
    }

    /** Hex of a __u32 key as {@link AgentHarness#dump} prints it. */
    static final class HexFormatKey {
        static String u32(int v) {
            return java.util.HexFormat.of().formatHex(MapCodec.u32(v));
        }
    }

}
