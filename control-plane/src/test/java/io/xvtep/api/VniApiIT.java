package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.api.AgentHarness.Response;
import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.UpdateFlag;
import io.xvtep.datapath.MapCodec;
import io.xvtep.datapath.NeighEntry;
import io.xvtep.datapath.NeighKey;
import io.xvtep.datapath.VniCfg;
import io.xvtep.datapath.VniSrcKey;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;

import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * VNIs over the API: create (defaults, every option, refusals), PATCH, delete and what it removes,
 * the host-side device and the multicast group a VNI brings.
 */
class VniApiIT extends AgentApiBase {

    VniApiIT() {
        super("p1", "p2", "p3");
    }

    @Test
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
        assertThat(v.getLong("maxaddress")).isEqualTo(32768);
        assertThat(v.getJsonArray("flood")).containsExactly("198.18.0.2");

        VniCfg c = vniCfg(100);
        assertThat(c.statsSlot()).as("a counter slot of its own").isPositive();
        assertThat(c.withStatsSlot(0)).isEqualTo(new VniCfg(100, VniCfg.F_LEARNING, null, null, 4789,
                Integer.parseInt(range[0]), Integer.parseInt(range[1]), 64, 0, 0, 1, 300, 1450, 0));
        assertThat(flood(100)).containsExactly("198.18.0.2");
        assertThat(dstportRefs(4789)).isNotNull().isPositive();
        assertThat(h.dump("xvtep_stats")).containsKey("64000000");

        assertThat(h.get("/api/v1/vnis/100").json()).isEqualTo(v);
        JsonArray all = h.get("/api/v1/vnis").array();
        assertThat(all.stream().map(o -> vniOf((JsonObject) o))).contains(100);
    }

    @Test
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
        assertThat(c.local()).isEqualTo(IpAddress.parse("198.18.0.1"));
        assertThat(c.group()).isEqualTo(IpAddress.parse("239.1.1.1"));
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
                Arguments.of("{\"vni\":200,\"ttl\":\"never\"}", "ttl"),
                Arguments.of("{\"vni\":200,\"flowlabel\":7}", "flowlabel"), // IPv6 VNIs only
                Arguments.of("{\"vni\":200,\"tos\":256}", "tos"),
                Arguments.of("{\"vni\":200,\"df\":\"maybe\"}", "df"),
                Arguments.of("{\"vni\":200,\"learning\":\"yes\"}", "learning"),
                Arguments.of("{\"vni\":200,\"proxy\":1}", "proxy"),
                Arguments.of("{\"vni\":200,\"ageing\":-1}", "ageing"),
                Arguments.of("{\"vni\":200,\"srcport_min\":1000}", "srcport_max"),
                Arguments.of("{\"vni\":200,\"srcport_min\":2000,\"srcport_max\":1000}", "srcport_max"),
                Arguments.of("{\"vni\":200,\"srcport_min\":0,\"srcport_max\":1000}", "srcport_min"),
                Arguments.of("{\"vni\":200,\"mtu\":1451}", "mtu"),
                Arguments.of("{\"vni\":200,\"mtu\":10}", "mtu"),
                Arguments.of("{\"vni\":200,\"maxaddress\":-1}", "maxaddress"),
                Arguments.of("{\"vni\":200,\"maxaddress\":4294967296}", "maxaddress"),
                Arguments.of("{\"vni\":200,\"maxaddress\":\"many\"}", "maxaddress"),
                Arguments.of("{\"vni\":200,\"maxaddress\":1.5}", "maxaddress"));
    }

    @ParameterizedTest
    @MethodSource("badVnis")
    void invalidVniIsRefused(String body, String field) throws Exception {
        refused("POST", "/api/v1/vnis", body, 400, field);
        assertThat(h.get("/api/v1/vnis/200").status()).isEqualTo(404);
    }

    @Test
    void malformedBodiesAreRefused() throws Exception {
        refused("POST", "/api/v1/vnis", "{\"vni\":", 400, null);
        refused("POST", "/api/v1/vnis", "[1,2]", 400, null);
        refused("POST", "/api/v1/vnis", "", 400, null);
        refused("POST", "/api/v1/vnis", "42", 400, null);
    }

    @Test
    void duplicateVniIsAConflict() throws Exception {
        assertThat(h.post("/api/v1/vnis", "{\"vni\":102,\"remote\":\"198.18.0.2\"}").status()).isEqualTo(201);
        refused("POST", "/api/v1/vnis", "{\"vni\":102,\"remote\":\"198.18.0.3\"}", 409, "vni");
        assertThat(flood(102)).containsExactly("198.18.0.2");
    }

    @Test
    void patchChangesOptionsAndAllowedSources() throws Exception {
        var allowedBefore = h.dump("xvtep_allowed_src");
        Response r = h.post("/api/v1/vnis", vni(502, ",\"allowed_src\":[\"198.18.0.2\",\"198.18.0.3\"]"));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().getJsonArray("allowed_src")).containsExactly("198.18.0.2", "198.18.0.3");
        assertThat(vniCfg(502).has(VniCfg.F_SRC_FILTER)).isTrue();
        assertThat(h.dump("xvtep_allowed_src")).containsKey(
                java.util.HexFormat.of().formatHex(new VniSrcKey(502, IpAddress.parse("198.18.0.3")).encode()));

        r = h.patch("/api/v1/vnis/502", "{\"ttl\":9,\"learning\":false,\"proxy\":true,\"ageing\":30,"
                + "\"srcport_min\":1000,\"srcport_max\":1100,\"df\":\"set\",\"allowed_src\":[\"198.18.0.4\"]}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonObject v = r.json();
        assertThat(v.getInteger("ttl")).isEqualTo(9);
        assertThat(v.getBoolean("learning")).isFalse();
        assertThat(v.getBoolean("proxy")).isTrue();
        assertThat(v.getString("remote")).isEqualTo("198.18.0.2");
        assertThat(v.getJsonArray("allowed_src")).containsExactly("198.18.0.4");
        VniCfg c = vniCfg(502);
        assertThat(c.ttl()).isEqualTo(9);
        assertThat(c.ageing()).isEqualTo(30);
        assertThat(c.srcportMin()).isEqualTo(1000);
        assertThat(c.srcportMax()).isEqualTo(1100);
        assertThat(c.nFlood()).isEqualTo(1);
        assertThat(c.flags()).isEqualTo(VniCfg.F_PROXY | VniCfg.F_DF_SET | VniCfg.F_SRC_FILTER);
        assertThat(h.dump("xvtep_allowed_src")).hasSize(allowedBefore.size() + 1);

        for (String f : List.of("vni", "dstport", "local", "group", "device", "remote")) {
            Object val = f.equals("vni") || f.equals("dstport") ? (Object) 1 : "x";
            refused("PATCH", "/api/v1/vnis/502", new JsonObject().put(f, val).encode(), 400, f);
        }
        refused("PATCH", "/api/v1/vnis/502", "{\"ttl\":0}", 400, "ttl");
        refused("PATCH", "/api/v1/vnis/502", "{\"srcport_min\":2000}", 400, "srcport_max");
        refused("PATCH", "/api/v1/vnis/502", "{\"allowed_src\":[\"239.1.1.1\"]}", 400, "allowed_src");
        refused("PATCH", "/api/v1/vnis/502", "{\"bogus\":1}", 400, "bogus");
        refused("PATCH", "/api/v1/vnis/598", "{\"ttl\":3}", 404, "vni");

        r = h.patch("/api/v1/vnis/502", "{\"allowed_src\":[],\"ttl\":\"inherit\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().getJsonArray("allowed_src")).isEmpty();
        assertThat(r.json().getString("ttl")).isEqualTo("inherit");
        assertThat(vniCfg(502).has(VniCfg.F_SRC_FILTER)).isFalse();
        assertThat(h.dump("xvtep_allowed_src")).isEqualTo(allowedBefore);
        assertThat(h.delete("/api/v1/vnis/502").status()).isEqualTo(204);
    }

    @Test
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
            m.update(new VniSrcKey(140, IpAddress.parse("198.18.0.2")).encode(), MapCodec.u32(0), UpdateFlag.ANY);
        }

        assertThat(h.delete("/api/v1/vnis/140").status()).isEqualTo(204);

        assertThat(h.get("/api/v1/vnis/140").status()).isEqualTo(404);
        assertThat(vniCfg(140)).isNull();
        String vniHex = "8c000000";
        // xvtep_stats is an array of counter slots: the VNI's slot stays, to be zeroed for the next VNI that takes it
        for (String map : List.of("xvtep_vni_ports", "xvtep_flood", "xvtep_fdb", "xvtep_neigh", "xvtep_allowed_src")) {
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

    @Test
    void hostSideDeviceIsAVethPairWhosePeerIsAPort() throws Exception {
        Response r = h.post("/api/v1/vnis", vni(505, ",\"device\":\"vxt505\""));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().getString("device")).isEqualTo("vxt505");
        String dev = h.in("ip", "-o", "link", "show", "dev", "vxt505");
        assertThat(dev).contains("mtu 1450").contains("UP");
        assertThat(h.in("ip", "-o", "link", "show", "dev", "xvd505")).contains("mtu 1450");
        assertThat(h.in("tc", "filter", "show", "dev", "xvd505", "ingress")).contains("tc_port_ingress");
        assertThat(vniCfg(505).devIfindex()).isEqualTo(h.ifindex("vxt505"));
        assertThat(r.json().getJsonArray("ports").getJsonObject(0).getString("ifname")).isEqualTo("xvd505");
        refused("POST", "/api/v1/vnis", vni(506, ",\"device\":\"vxt505\""), 409, "device");
        refused("POST", "/api/v1/vnis", vni(506, ",\"device\":\"bad/name\""), 400, "device");
        assertThat(h.delete("/api/v1/vnis/505").status()).isEqualTo(204);
        assertThat(h.inQuiet("ip", "link", "show", "dev", "vxt505")).contains("does not exist");
        assertThat(h.inQuiet("ip", "link", "show", "dev", "xvd505")).contains("does not exist");
    }

    @Test
    void multicastGroupIsJoinedOnTheUnderlay() throws Exception {
        Response r = h.post("/api/v1/vnis", "{\"vni\":507,\"group\":\"239.7.7.7\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(h.in("ip", "maddr", "show", "dev", "ul0")).contains("239.7.7.7");
        // no ttl given: "auto" as the kernel's device (1 to the group, 64 to unicast VTEPs)
        assertThat(r.json().getValue("ttl")).isEqualTo("auto");
        assertThat(vniCfg(507).ttl()).isZero();
        assertThat(h.delete("/api/v1/vnis/507").status()).isEqualTo(204);
        assertThat(h.in("ip", "maddr", "show", "dev", "ul0")).doesNotContain("239.7.7.7");
    }

    @Test
    void anIpv6VniNeedsAnIpv6LocalAddress() {
        // this agent has only an IPv4 local address (the underlay's): an IPv6 VNI must name its own
        refused("POST", "/api/v1/vnis", "{\"vni\":508,\"remote\":\"2001:db8::2\"}", 400, "remote");
        Response r = h.post("/api/v1/vnis", "{\"vni\":508,\"remote\":\"2001:db8::2\"}");
        assertThat(r.json().getString("error")).contains("no IPv6 local address").contains("--local");
        r = h.post("/api/v1/vnis", "{\"vni\":508,\"local\":\"2001:db8::1\",\"remote\":\"2001:db8::2\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().getString("local")).isEqualTo("2001:db8::1");
        assertThat(vniCfg(508).ipv6()).isTrue();
        assertThat(h.delete("/api/v1/vnis/508").status()).isEqualTo(204);
    }
}
