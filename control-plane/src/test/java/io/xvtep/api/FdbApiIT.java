package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.api.AgentHarness.Response;
import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.UpdateFlag;
import io.xvtep.datapath.FdbKey;
import io.xvtep.datapath.FdbValue;
import io.xvtep.datapath.VniStats;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Mac;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The FDB over the API: static and flood entries, refusals, learned and local entries, replace, bulk writes.
 */
class FdbApiIT extends AgentApiBase {

    FdbApiIT() {
        super("p5", "p6", "p7", "q1");
    }

    /** The old 262,144-entry FDB, so "more than the FDB holds" fits in one request body. */
    @Override
    protected List<String> agentArgs() {
        return List.of("--fdb-capacity", "262144");
    }

    @Test
    void staticAndFloodEntries() throws Exception {
        assertThat(h.post("/api/v1/vnis", "{\"vni\":120,\"remote\":\"198.18.0.2\"}").status()).isEqualTo(201);
        Response r = h.post("/api/v1/vnis/120/fdb", "{\"mac\":\"02:00:00:00:00:02\",\"dst\":\"198.18.0.3\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().getString("type")).isEqualTo("static");
        FdbValue v;
        try (BpfMap m = h.map("xvtep_fdb")) {
            v = FdbValue.decode(m.lookup(new FdbKey(120, Mac.parse("02:00:00:00:00:02")).encode()).orElseThrow());
        }
        assertThat(v.remote()).isEqualTo(IpAddress.parse("198.18.0.3"));
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
                    new FdbValue(IpAddress.parse("198.18.0.7"), 0, 0, System.nanoTime()).encode(), UpdateFlag.ANY);
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

    @Test
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
    void bulkFdbIsAllOrNothing() throws Exception {
        var fdbBefore = h.dump("xvtep_fdb");
        assertThat(h.post("/api/v1/vnis", vni(501, "")).status()).isEqualTo(201);
        long t0 = System.nanoTime();
        Response r = h.post("/api/v1/vnis/501/fdb/bulk", fdbBulk(100_000, 0, "198.18.0.7"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().getInteger("count")).isEqualTo(100_000);
        System.out.println("bulk: 100000 FDB entries in " + ms + " ms (HTTP + validation + batch update)");
        try (BpfMap m = h.map("xvtep_fdb")) {
            FdbValue v = FdbValue.decode(m.lookup(new FdbKey(501, Mac.parse("02:aa:00:01:86:9f")).encode()).orElseThrow());
            assertThat(v.remote()).isEqualTo(IpAddress.parse("198.18.0.7"));
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
        // the body is read token by token (no tree): each malformed shape is still a 400 naming what is wrong
        String one = "{\"mac\":\"02:00:00:00:00:01\",\"dst\":\"198.18.0.9\"}";
        refused("POST", "/api/v1/vnis/501/fdb/bulk", "{\"entries\":[" + one + "]} {}", 400, null);
        refused("POST", "/api/v1/vnis/501/fdb/bulk", "{\"entries\":[" + one + ",", 400, null);
        refused("POST", "/api/v1/vnis/501/fdb/bulk", "{\"entries\":[" + one + "]", 400, null);
        refused("POST", "/api/v1/vnis/501/fdb/bulk", "[" + one + "]", 400, null);
        refused("POST", "/api/v1/vnis/501/fdb/bulk", "{}", 400, "entries");
        refused("POST", "/api/v1/vnis/501/fdb/bulk", "{\"entries\":null}", 400, "entries");
        refused("POST", "/api/v1/vnis/501/fdb/bulk", "{\"entries\":[" + one + "],\"x\":1}", 400, "x");
        refused("POST", "/api/v1/vnis/501/fdb/bulk", "{\"entries\":[" + one + ",[]]}", 400, "entries[1]");
        refused("POST", "/api/v1/vnis/501/fdb/bulk", "{\"entries\":[{\"mac\":7,\"dst\":\"198.18.0.9\"}]}", 400,
                "entries[0].mac");
        refused("POST", "/api/v1/vnis/501/fdb/bulk", "{\"entries\":[{\"mac\":{\"a\":1},\"dst\":\"198.18.0.9\"}]}",
                400, "entries[0].mac");
        refused("POST", "/api/v1/vnis/501/fdb/bulk", "{\"entries\":[{\"mac\":\"02:00:00:00:00:01\",\"dst\":[\"198.18.0.9\"]}]}",
                400, "entries[0].dst");
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
            assertThat(v.remote()).isEqualTo(IpAddress.parse("198.18.0.9"));
        }

        assertThat(h.delete("/api/v1/vnis/501").status()).isEqualTo(204);
        // deleting the VNI took every one of its entries: the FDB is as it was before this test
        assertThat(h.dump("xvtep_fdb")).isEqualTo(fdbBefore);
    }

    @Test
    void pagedListing() throws Exception {
        assertThat(h.post("/api/v1/vnis", "{\"vni\":124,\"remote\":\"198.18.0.2\"}").status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/124/fdb", "{\"mac\":\"00:00:00:00:00:00\",\"dst\":\"198.18.0.7\"}")
                .status()).isEqualTo(201);
        StringBuilder bulk = new StringBuilder("{\"entries\":[");
        for (int i = 0; i < 250; i++) {
            bulk.append(i == 0 ? "" : ",").append(String.format("{\"mac\":\"02:00:00:7c:%02x:%02x\",\"dst\":\"198.18.0.3\"}",
                    i >> 8, i & 0xff));
        }
        Response r = h.post("/api/v1/vnis/124/fdb/bulk", bulk.append("]}").toString());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        String p = "/api/v1/vnis/124/fdb";
        var whole = withoutAge(h.get(p).array());
        assertThat(whole).hasSize(252); // both flood entries (the remote's and .7) share the zero MAC
        // limit 1: the first page still holds both zero-MAC entries (a key is never split)
        assertThat(new JsonArray(h.getWithHeaders(p + "?limit=1").body())).hasSize(2);
        assertThat(withoutAge(followPages(p + "?limit=1", 1))).isEqualTo(whole);
        assertThat(withoutAge(followPages(p + "?limit=100", 100))).isEqualTo(whole);
        assertThat(withoutAge(followPages(p + "?limit=252", 252))).isEqualTo(whole);
        assertThat(withoutAge(followPages(p + "?type=static&limit=60", 60))).isEqualTo(whole);
        JsonArray tail = h.get(p + "?after=02:00:00:7c:00:f5").array();
        assertThat(tail).hasSize(4); // the last MAC is 02:00:00:7c:00:f9 (249)
        assertThat(tail.getJsonObject(0).getString("mac")).isEqualTo("02:00:00:7c:00:f6");
        // ?pretty indents; the default is compact
        assertThat(h.get(p + "?limit=2&pretty").body()).contains("\n  ");
        assertThat(h.get("/api/v1/vnis/124").body().strip()).doesNotContain("\n");
        assertThat(h.get("/api/v1/vnis/124?pretty").body().strip()).contains("\n");
        refused("GET", p + "?limit=0", null, 400, "limit");
        refused("GET", p + "?limit=100001", null, 400, "limit");
        refused("GET", p + "?limit=ten", null, 400, "limit");
        refused("GET", p + "?after=02:00", null, 400, "after");
        refused("GET", p + "?limit=5&limit=6", null, 400, "limit");
    }

    /**
     * Pages read while entries are added between them, before and after the cursor: every entry that was
     * there from the start comes exactly once, no entry comes twice, and nothing comes that was never added.
     */
    @Test
    void pagingReturnsEveryEntryExactlyOnceWhileEntriesAreAdded() throws Exception {
        assertThat(h.post("/api/v1/vnis", "{\"vni\":126}").status()).isEqualTo(201);
        java.util.function.IntFunction<String> mac = i -> String.format("02:00:00:7e:%02x:%02x", i >> 8, i & 0xff);
        java.util.Set<String> initial = new java.util.TreeSet<>(), added = new java.util.TreeSet<>();
        StringBuilder bulk = new StringBuilder("{\"entries\":[");
        for (int i = 0; i < 4000; i += 2) { // the even MACs now, the odd ones while paging
            bulk.append(i == 0 ? "" : ",").append("{\"mac\":\"").append(mac.apply(i)).append("\",\"dst\":\"198.18.0.3\"}");
            initial.add(mac.apply(i));
        }
        assertThat(h.post("/api/v1/vnis/126/fdb/bulk", bulk.append("]}").toString()).status()).isEqualTo(200);

        java.util.List<String> seen = new java.util.ArrayList<>();
        String next = "/api/v1/vnis/126/fdb?limit=100";
        int chunk = 0;
        while (next != null) {
            io.xvtep.testkit.NetnsHttpClient.Response r = h.getWithHeaders(next);
            assertThat(r.status()).as(next).isEqualTo(200);
            new JsonArray(r.body()).forEach(o -> seen.add(((JsonObject) o).getString("mac")));
            java.util.List<String> link = r.headers().getOrDefault("link", java.util.List.of());
            next = link.isEmpty() ? null : link.get(0).substring(1, link.get(0).indexOf('>'));
            // between two pages: 40 odd MACs spread over the whole key range (behind and ahead of the cursor)
            if (chunk < 50) {
                StringBuilder more = new StringBuilder("{\"entries\":[");
                for (int j = 0; j < 40; j++) {
                    int i = 1 + 2 * (chunk + 50 * j);
                    more.append(j == 0 ? "" : ",").append("{\"mac\":\"").append(mac.apply(i)).append("\",\"dst\":\"198.18.0.4\"}");
                    added.add(mac.apply(i));
                }
                assertThat(h.post("/api/v1/vnis/126/fdb/bulk", more.append("]}").toString()).status()).isEqualTo(200);
                chunk++;
            }
        }
        assertThat(seen).as("no entry twice").doesNotHaveDuplicates();
        assertThat(seen).as("every entry there from the start").containsAll(initial);
        java.util.Set<String> any = new java.util.TreeSet<>(initial);
        any.addAll(added);
        assertThat(any).as("nothing that was never added").containsAll(seen);
        assertThat(seen.size()).isGreaterThan(initial.size()); // some of the added ones were ahead of the cursor
        assertThat(h.delete("/api/v1/vnis/126").status()).isEqualTo(204);
    }

    /** Entries as "mac dst type" lines: ages move on between two listings. */
    private static java.util.List<String> withoutAge(JsonArray a) {
        return a.stream().map(o -> (JsonObject) o)
                .map(o -> o.getString("mac") + " " + o.getString("dst") + " " + o.getString("type")).toList();
    }
}
