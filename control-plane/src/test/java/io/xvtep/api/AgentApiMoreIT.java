package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.api.AgentHarness.Response;
import io.xvtep.libbpf.BpfMap;
import io.xvtep.datapath.MapCodec;
import io.xvtep.datapath.MapCodec.FdbKey;
import io.xvtep.datapath.MapCodec.FdbValue;
import io.xvtep.datapath.MapCodec.VniCfg;
import io.xvtep.datapath.MapCodec.VniSrcKey;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;
import io.xvtep.testkit.Command;
import io.xvtep.testkit.Netns;
import io.xvtep.testkit.NetnsHttpClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Neighbour table, bulk writes, PATCH, FDB replace, events, host-side device, multicast join,
 * OpenAPI and auth against a real agent in a namespace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentApiMoreIT {

    private AgentHarness h;
    private Path jar;

    @BeforeAll
    void start() throws Exception {
        h = AgentHarness.started("q1", "q2", "q3");
        jar = h.jar;
    }

    @AfterAll
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private VniCfg vniCfg(int vni) {
        try (BpfMap m = h.map("xvtep_vnis")) {
            return m.lookup(MapCodec.u32(vni)).map(VniCfg::decode).orElse(null);
        }
    }

    private void refused(String method, String path, String body, int status, String field) throws Exception {
        var before = h.snapshot();
        Response r = h.request(method, path, body);
        assertThat(r.status()).as(method + " " + path + " -> " + r.body()).isEqualTo(status);
        assertThat(r.json().getString("error")).isNotBlank();
        if (field != null) {
            assertThat(r.json().getString("field")).as(r.body()).isEqualTo(field);
        }
        assertThat(h.snapshot()).as("maps after refused " + method + " " + path).isEqualTo(before);
    }

    private static String vni(int vni, String extra) {
        return "{\"vni\":" + vni + ",\"dstport\":4789,\"remote\":\"198.18.0.2\"" + extra + "}";
    }

    @Test
    @Order(0)
    void containerVethGetsPeerDelivery() throws Exception {
        // A container's veth: its peer is in another namespace, so TC may use bpf_redirect_peer.
        try (Netns ctr = Netns.create("xvtep-cp-ctr")) {
            h.in("ip", "link", "add", "pc1", "type", "veth", "peer", "name", "eth0", "netns", ctr.name());
            h.in("ip", "link", "set", "pc1", "up");
            assertThat(h.post("/api/v1/vnis", vni(499, "")).status()).isEqualTo(201);
            Response r = h.post("/api/v1/vnis/499/ports", "{\"ifname\":\"pc1\"}");
            assertThat(r.status()).as(r.body()).isEqualTo(201);
            try (BpfMap m = h.map("xvtep_ports")) {
                assertThat(MapCodec.PortCfg.decode(m.lookup(MapCodec.u32(h.ifindex("pc1"))).orElseThrow()))
                        .isEqualTo(new MapCodec.PortCfg(499, MapCodec.PortCfg.F_PEER));
            }
            assertThat(h.delete("/api/v1/vnis/499").status()).isEqualTo(204);
        }
    }

    @Test
    @Order(1)
    void neighAddListDelete() throws Exception {
        assertThat(h.post("/api/v1/vnis", vni(500, "")).status()).isEqualTo(201);
        Response r = h.post("/api/v1/vnis/500/neigh", "{\"ip\":\"10.20.1.3\",\"mac\":\"02:00:00:00:02:01\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json()).isEqualTo(new JsonObject().put("vni", 500).put("ip", "10.20.1.3")
                .put("mac", "02:00:00:00:02:01"));
        r = h.post("/api/v1/vnis/500/neigh", "{\"ip\":\"fd00::3\",\"mac\":\"02:00:00:00:02:02\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().getString("ip")).isEqualTo("fd00::3");
        try (BpfMap m = h.map("xvtep_neigh")) {
            byte[] v = m.lookup(new MapCodec.NeighKey(500, Ipv4.parse("10.20.1.3")).encode()).orElseThrow();
            assertThat(MapCodec.NeighEntry.decode(v).mac()).isEqualTo(Mac.parse("02:00:00:00:02:01"));
        }
        assertThat(h.dump("xvtep_neigh6")).hasSize(1);
        JsonArray l = h.get("/api/v1/vnis/500/neigh").array();
        assertThat(l.stream().map(o -> ((JsonObject) o).getString("ip"))).containsExactly("10.20.1.3", "fd00::3");

        refused("POST", "/api/v1/vnis/500/neigh", "{\"ip\":\"10.20.1.3\",\"mac\":\"02:00:00:00:02:09\"}", 409, "ip");
        refused("POST", "/api/v1/vnis/500/neigh", "{\"ip\":\"10.20.1.300\",\"mac\":\"02:00:00:00:02:09\"}", 400, "ip");
        refused("POST", "/api/v1/vnis/500/neigh", "{\"ip\":\"example.com\",\"mac\":\"02:00:00:00:02:09\"}", 400, "ip");
        refused("POST", "/api/v1/vnis/500/neigh", "{\"ip\":\"10.20.1.4\",\"mac\":\"ff:ff:ff:ff:ff:ff\"}", 400, "mac");
        refused("POST", "/api/v1/vnis/500/neigh", "{\"ip\":\"10.20.1.4\"}", 400, "mac");
        refused("POST", "/api/v1/vnis/500/neigh", "{\"ip\":\"10.20.1.4\",\"mac\":\"02:00:00:00:02:09\",\"x\":1}", 400,
                "x");
        refused("POST", "/api/v1/vnis/599/neigh", "{\"ip\":\"10.20.1.4\",\"mac\":\"02:00:00:00:02:09\"}", 404, "vni");

        assertThat(h.delete("/api/v1/vnis/500/neigh/10.20.1.3").status()).isEqualTo(204);
        assertThat(h.delete("/api/v1/vnis/500/neigh/fd00::3").status()).isEqualTo(204);
        refused("DELETE", "/api/v1/vnis/500/neigh/10.20.1.3", null, 404, "ip");
        assertThat(h.get("/api/v1/vnis/500/neigh").array()).isEmpty();
        assertThat(h.dump("xvtep_neigh6")).isEmpty();
    }

    private static String fdbBulk(int n, int base, String dst) {
        StringBuilder sb = new StringBuilder("{\"entries\":[");
        for (int i = 0; i < n; i++) {
            int x = base + i;
            if (i > 0) {
                sb.append(',');
            }
            sb.append(String.format("{\"mac\":\"02:aa:%02x:%02x:%02x:%02x\",\"dst\":\"%s\"}", (x >> 24) & 0xff,
                    (x >> 16) & 0xff, (x >> 8) & 0xff, x & 0xff, dst));
        }
        return sb.append("]}").toString();
    }

    @Test
    @Order(2)
    void bulkFdbIsAllOrNothing() throws Exception {
        assertThat(h.post("/api/v1/vnis", vni(501, "")).status()).isEqualTo(201);
        long t0 = System.nanoTime();
        Response r = h.post("/api/v1/vnis/501/fdb/bulk", fdbBulk(100_000, 0, "198.18.0.7"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().getInteger("count")).isEqualTo(100_000);
        System.out.println("bulk: 100000 FDB entries in " + ms + " ms (curl + HTTP + validation + batch update)");
        try (BpfMap m = h.map("xvtep_fdb")) {
            FdbValue v = FdbValue.decode(m.lookup(new FdbKey(501, Mac.parse("02:aa:00:01:86:9f")).encode()).orElseThrow());
            assertThat(v.remote()).isEqualTo(Ipv4.parse("198.18.0.7"));
            assertThat(v.flags()).isEqualTo(FdbValue.F_STATIC);
        }
        assertThat(h.get("/api/v1/vnis/501/fdb?type=static").array()).hasSize(100_000 + 1);

        // one bad entry among many: 400 naming it, and nothing written
        String bad = fdbBulk(1000, 200_000, "198.18.0.8").replace("02:aa:00:03:0f:34", "02:aa:00:03:0f:zz");
        refused("POST", "/api/v1/vnis/501/fdb/bulk", bad, 400, "entries[500].mac");
        refused("POST", "/api/v1/vnis/501/fdb/bulk", fdbBulk(3, 0, "0.0.0.0"), 400, "entries[0].dst");
        refused("POST", "/api/v1/vnis/501/fdb/bulk", "{\"entries\":[{\"mac\":\"02:00:00:00:00:01\"}]}", 400,
                "entries[0].dst");
        refused("POST", "/api/v1/vnis/501/fdb/bulk",
                "{\"entries\":[{\"mac\":\"02:00:00:00:00:01\",\"dst\":\"198.18.0.9\",\"y\":1}]}", 400, "entries[0].y");
        refused("POST", "/api/v1/vnis/501/fdb/bulk", "{\"entries\":{}}", 400, "entries");
        // duplicates within a request
        refused("POST", "/api/v1/vnis/501/fdb/bulk",
                "{\"entries\":[{\"mac\":\"02:00:00:00:00:01\",\"dst\":\"198.18.0.9\"},"
                        + "{\"mac\":\"02:00:00:00:00:01\",\"dst\":\"198.18.0.9\"}]}", 400, "entries[1].mac");
        // more than the FDB holds: 409 before anything is written
        refused("POST", "/api/v1/vnis/501/fdb/bulk", fdbBulk(170_000, 300_000, "198.18.0.8"), 409, "entries");

        // replace semantics: existing entries take the new destination
        r = h.post("/api/v1/vnis/501/fdb/bulk", fdbBulk(10, 0, "198.18.0.9"));
        assertThat(r.json().getInteger("count")).isEqualTo(10);
        try (BpfMap m = h.map("xvtep_fdb")) {
            FdbValue v = FdbValue.decode(m.lookup(new FdbKey(501, Mac.parse("02:aa:00:00:00:09")).encode()).orElseThrow());
            assertThat(v.remote()).isEqualTo(Ipv4.parse("198.18.0.9"));
        }

        StringBuilder nb = new StringBuilder("{\"entries\":[");
        for (int i = 0; i < 1000; i++) {
            nb.append(i > 0 ? "," : "").append(String.format("{\"ip\":\"10.21.%d.%d\",\"mac\":\"02:bb:00:00:%02x:%02x\"}",
                    i / 250, i % 250 + 1, i >> 8, i & 0xff));
        }
        nb.append(",{\"ip\":\"fd00::99\",\"mac\":\"02:bb:00:00:99:99\"}]}");
        r = h.post("/api/v1/vnis/501/neigh/bulk", nb.toString());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().getInteger("count")).isEqualTo(1001);
        assertThat(h.get("/api/v1/vnis/501/neigh").array()).hasSize(1001);
        refused("POST", "/api/v1/vnis/501/neigh/bulk", "{\"entries\":[{\"ip\":\"10.22.0.1\",\"mac\":\"02:bb:00:00:00:01\"},"
                + "{\"ip\":\"10.22.0.x\",\"mac\":\"02:bb:00:00:00:01\"}]}", 400, "entries[1].ip");

        assertThat(h.delete("/api/v1/vnis/501").status()).isEqualTo(204);
        assertThat(h.dump("xvtep_fdb")).isEmpty();
        assertThat(h.dump("xvtep_neigh")).isEmpty();
    }

    @Test
    @Order(3)
    void patchChangesOptionsAndAllowedSources() throws Exception {
        Response r = h.post("/api/v1/vnis", vni(502, ",\"allowed_src\":[\"198.18.0.2\",\"198.18.0.3\"]"));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().getJsonArray("allowed_src")).containsExactly("198.18.0.2", "198.18.0.3");
        assertThat(vniCfg(502).has(VniCfg.F_SRC_FILTER)).isTrue();
        assertThat(h.dump("xvtep_allowed_src")).containsKey(
                java.util.HexFormat.of().formatHex(new VniSrcKey(502, Ipv4.parse("198.18.0.3")).encode()));

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
        assertThat(h.dump("xvtep_allowed_src")).hasSize(1);

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
        assertThat(h.dump("xvtep_allowed_src")).isEmpty();
        assertThat(h.delete("/api/v1/vnis/502").status()).isEqualTo(204);
    }

    @Test
    @Order(4)
    void fdbReplaceLikeBridge() throws Exception {
        assertThat(h.post("/api/v1/vnis", vni(503, "")).status()).isEqualTo(201);
        String mac = "02:00:00:00:05:03";
        assertThat(h.post("/api/v1/vnis/503/fdb", "{\"mac\":\"" + mac + "\",\"dst\":\"198.18.0.5\"}").status())
                .isEqualTo(201);
        refused("POST", "/api/v1/vnis/503/fdb", "{\"mac\":\"" + mac + "\",\"dst\":\"198.18.0.6\"}", 409, "mac");
        Response r = h.put("/api/v1/vnis/503/fdb/" + mac, "{\"dst\":\"198.18.0.6\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().getString("dst")).isEqualTo("198.18.0.6");
        r = h.put("/api/v1/vnis/503/fdb/02:00:00:00:05:04", "{\"ifname\":\"q1\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(400); // q1 is not a port of the VNI yet
        assertThat(h.post("/api/v1/vnis/503/ports", "{\"ifname\":\"q1\"}").status()).isEqualTo(201);
        r = h.put("/api/v1/vnis/503/fdb/02:00:00:00:05:04", "{\"ifname\":\"q1\"}");
        assertThat(r.status()).as(r.body()).isIn(200, 201);
        refused("PUT", "/api/v1/vnis/503/fdb/" + mac, "{\"mac\":\"02:00:00:00:05:09\",\"dst\":\"198.18.0.6\"}", 400,
                "mac");
        // all-zero: replace the default destination
        r = h.put("/api/v1/vnis/503/fdb/00:00:00:00:00:00", "{\"dst\":\"198.18.0.20\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(h.get("/api/v1/vnis/503").json().getJsonArray("flood")).containsExactly("198.18.0.20");
        JsonArray learnedOnly = h.get("/api/v1/vnis/503/fdb?type=learned").array();
        assertThat(learnedOnly).isEmpty();
        assertThat(h.delete("/api/v1/vnis/503").status()).isEqualTo(204);
    }

    private static String waitFor(NetnsHttpClient.LineStream stream, long seconds, String... needles) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String s = "";
        while (System.nanoTime() < deadline) {
            s = stream.text();
            boolean all = true;
            for (String n : needles) {
                all &= s.contains(n);
            }
            if (all) {
                return s;
            }
            Thread.sleep(200);
        }
        return s;
    }

    @Test
    @Order(5)
    void eventsStreamLearnL3missAndAgeout() throws Exception {
        assertThat(h.post("/api/v1/vnis", vni(504, ",\"proxy\":true,\"l3miss\":true,\"ageing\":1")).status())
                .isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/504/ports", "{\"ifname\":\"q2\"}").status()).isEqualTo(201);
        try (NetnsHttpClient.LineStream all = h.stream("/api/v1/events?vni=504");
                NetnsHttpClient.LineStream onlyMiss = h.stream("/api/v1/events?type=l3miss")) {
            Thread.sleep(1000);
            String mac = h.in("ip", "-br", "link", "show", "dev", "q2c").trim().split("\\s+")[2];
            h.in("ip", "addr", "add", "10.33.0.1/24", "dev", "q2c");
            h.inQuiet("ping", "-c", "1", "-W", "1", "10.33.0.2");
            String s = waitFor(all, 20, "\"type\":\"learn\"", "\"type\":\"l3miss\"", "\"type\":\"ageout\"");
            List<JsonObject> evs = new ArrayList<>();
            for (String line : s.split("\n")) {
                if (line.startsWith("data: ")) {
                    evs.add(new JsonObject(line.substring(6)));
                }
            }
            assertThat(s).as(s).contains("\"type\":\"learn\"", "\"type\":\"l3miss\"", "\"type\":\"ageout\"");
            JsonObject learn = evs.stream().filter(e -> e.getString("type").equals("learn")).findFirst().orElseThrow();
            assertThat(learn.getInteger("vni")).isEqualTo(504);
            assertThat(learn.getString("mac")).isEqualTo(mac);
            assertThat(learn.getString("ifname")).isEqualTo("q2");
            assertThat(learn.getLong("ts")).isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(60_000L));
            JsonObject miss = evs.stream().filter(e -> e.getString("type").equals("l3miss")).findFirst().orElseThrow();
            assertThat(miss.getString("ip")).isEqualTo("10.33.0.2");
            JsonObject age = evs.stream().filter(e -> e.getString("type").equals("ageout")).findFirst().orElseThrow();
            assertThat(age.getString("mac")).isEqualTo(mac);
            // SSE framing: each event a data line followed by a blank line
            assertThat(s).contains("\n\ndata: ");
            String m = onlyMiss.text();
            assertThat(m).contains("\"type\":\"l3miss\"").doesNotContain("\"type\":\"learn\"");
        }
        refused("GET", "/api/v1/events?type=bogus", null, 400, "type");
        assertThat(h.delete("/api/v1/vnis/504").status()).isEqualTo(204);
    }

    @Test
    @Order(6)
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
    @Order(7)
    void multicastGroupIsJoinedOnTheUnderlay() throws Exception {
        Response r = h.post("/api/v1/vnis", "{\"vni\":507,\"group\":\"239.7.7.7\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(h.in("ip", "maddr", "show", "dev", "ul0")).contains("239.7.7.7");
        assertThat(h.delete("/api/v1/vnis/507").status()).isEqualTo(204);
        assertThat(h.in("ip", "maddr", "show", "dev", "ul0")).doesNotContain("239.7.7.7");
    }

    @Test
    @Order(8)
    void openApiIsServed() throws Exception {
        Response r = h.get("/api/v1/openapi.yaml");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).startsWith("openapi: 3").contains("/api/v1/vnis/{vni}/neigh/bulk:");
    }

    @Test
    @Order(9)
    void restartRediscoversDeviceAndGroup() throws Exception {
        assertThat(h.post("/api/v1/vnis", vni(508, ",\"device\":\"vxt508\"")).status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis", "{\"vni\":509,\"group\":\"239.7.7.9\"}").status()).isEqualTo(201);
        h.stopAgent();
        h.startAgent();
        JsonObject v = h.get("/api/v1/vnis/508").json();
        assertThat(v.getString("device")).isEqualTo("vxt508");
        assertThat(h.in("ip", "maddr", "show", "dev", "ul0")).contains("239.7.7.9");
        assertThat(h.delete("/api/v1/vnis/508").status()).isEqualTo(204);
        assertThat(h.inQuiet("ip", "link", "show", "dev", "vxt508")).contains("does not exist");
        assertThat(h.delete("/api/v1/vnis/509").status()).isEqualTo(204);
    }

    @Test
    @Order(10)
    void tokenAuthAndNonLoopbackRefusal() throws Exception {
        // without --token-file, a non-loopback --api is refused at start
        try {
            Command.Result p = h.netns.command("java", "-jar", jar.toString(), "agent", "--underlay", "ul0", "--api",
                    "198.18.0.1:" + (h.port + 1), "--pin-root", h.pinRoot + "-x").run();
            assertThat(p.exit()).isNotZero();
            assertThat(p.output()).contains("--token-file").contains("not a loopback address");
        } finally {
            io.xvtep.libbpf.Bpffs.removeTree(Path.of(h.pinRoot + "-x"));
        }
        // with a token: everything but /healthz needs it
        Path token = Files.createTempFile("xvtep-token", "");
        Files.writeString(token, "s3cret-token\n");
        h.stopAgent();
        h.agentArgs.addAll(List.of("--token-file", token.toString()));
        try {
            h.startAgent();
            assertThat(h.get("/healthz").status()).isEqualTo(200);
            Response r = h.get("/api/v1/vnis");
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.json().getString("error")).contains("token");
            assertThat(h.get("/metrics").status()).isEqualTo(401);
            h.headers.put("Authorization", "Bearer wrong");
            assertThat(h.get("/api/v1/vnis").status()).isEqualTo(401);
            h.headers.clear();
            h.headers.put("Authorization", "Bearer s3cret-token");
            assertThat(h.get("/api/v1/vnis").status()).isEqualTo(200);
            h.headers.clear();
            // the CLI: --token-file or XVTEP_TOKEN
            assertThat(h.cli("vni", "show").exit()).isEqualTo(1);
            assertThat(h.cli("vni", "show", "--token-file", token.toString()).exit()).isZero();
            assertThat(h.cli(Map.of("XVTEP_TOKEN", "s3cret-token"), "vni", "show").exit()).isZero();
        } finally {
            h.headers.clear();
            h.stopAgent();
            h.agentArgs.clear();
            Files.deleteIfExists(token);
            h.startAgent();
        }
    }
}
