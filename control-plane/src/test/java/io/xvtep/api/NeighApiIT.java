package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.api.AgentHarness.Response;
import io.xvtep.libbpf.BpfMap;
import io.xvtep.datapath.NeighEntry;
import io.xvtep.datapath.NeighKey;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;

import org.junit.jupiter.api.Test;

/**
 * The neighbour table (what the ARP/ND proxy answers) over the API: add, list, delete, refusals, bulk writes.
 */
class NeighApiIT extends AgentApiBase {

    NeighApiIT() {
        super();
    }

    @Test
    void neighAddListDelete() throws Exception {
        var neigh6Before = h.dump("xvtep_neigh6");
        assertThat(h.post("/api/v1/vnis", vni(500, "")).status()).isEqualTo(201);
        Response r = h.post("/api/v1/vnis/500/neigh", "{\"ip\":\"10.20.1.3\",\"mac\":\"02:00:00:00:02:01\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json()).isEqualTo(new JsonObject().put("vni", 500).put("ip", "10.20.1.3")
                .put("mac", "02:00:00:00:02:01"));
        r = h.post("/api/v1/vnis/500/neigh", "{\"ip\":\"fd00::3\",\"mac\":\"02:00:00:00:02:02\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().getString("ip")).isEqualTo("fd00::3");
        try (BpfMap m = h.map("xvtep_neigh")) {
            byte[] v = m.lookup(new NeighKey(500, Ipv4.parse("10.20.1.3")).encode()).orElseThrow();
            assertThat(NeighEntry.decode(v).mac()).isEqualTo(Mac.parse("02:00:00:00:02:01"));
        }
        assertThat(h.dump("xvtep_neigh6")).hasSize(neigh6Before.size() + 1);
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
        assertThat(h.dump("xvtep_neigh6")).isEqualTo(neigh6Before);
    }

    @Test
    void bulkNeighIsAllOrNothing() throws Exception {
        var neighBefore = h.dump("xvtep_neigh");
        assertThat(h.post("/api/v1/vnis", vni(511, "")).status()).isEqualTo(201);
        StringBuilder nb = new StringBuilder("{\"entries\":[");
        for (int i = 0; i < 1000; i++) {
            nb.append(i > 0 ? "," : "").append(String.format("{\"ip\":\"10.21.%d.%d\",\"mac\":\"02:bb:00:00:%02x:%02x\"}",
                    i / 250, i % 250 + 1, i >> 8, i & 0xff));
        }
        nb.append(",{\"ip\":\"fd00::99\",\"mac\":\"02:bb:00:00:99:99\"}]}");
        Response r = h.post("/api/v1/vnis/511/neigh/bulk", nb.toString());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().getInteger("count")).isEqualTo(1001);
        assertThat(h.get("/api/v1/vnis/511/neigh").array()).hasSize(1001);
        refused("POST", "/api/v1/vnis/511/neigh/bulk", "{\"entries\":[{\"ip\":\"10.22.0.1\",\"mac\":\"02:bb:00:00:00:01\"},"
                + "{\"ip\":\"10.22.0.x\",\"mac\":\"02:bb:00:00:00:01\"}]}", 400, "entries[1].ip");

        assertThat(h.delete("/api/v1/vnis/511").status()).isEqualTo(204);
        // deleting the VNI took every one of its entries: the table is as it was before this test
        assertThat(h.dump("xvtep_neigh")).isEqualTo(neighBefore);
    }

    @Test
    void pagedListing() throws Exception {
        assertThat(h.post("/api/v1/vnis", vni(504, "")).status()).isEqualTo(201);
        StringBuilder bulk = new StringBuilder("{\"entries\":[");
        for (int i = 0; i < 30; i++) {
            bulk.append(i == 0 ? "" : ",").append(String.format("{\"ip\":\"10.20.1.%d\",\"mac\":\"02:00:00:00:04:01\"},"
                    + "{\"ip\":\"fd00::%x\",\"mac\":\"02:00:00:00:04:02\"}", i + 1, i + 1));
        }
        Response r = h.post("/api/v1/vnis/504/neigh/bulk", bulk.append("]}").toString());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        String p = "/api/v1/vnis/504/neigh";
        JsonArray whole = h.get(p).array();
        assertThat(whole).hasSize(60);
        assertThat(followPages(p + "?limit=7", 7)).isEqualTo(whole);
        JsonArray v6 = h.get(p + "?after=10.20.1.30").array(); // IPv6 follows IPv4
        assertThat(v6).hasSize(30);
        assertThat(v6.getJsonObject(0).getString("ip")).isEqualTo("fd00::1");
        refused("GET", p + "?limit=0", null, 400, "limit");
        refused("GET", p + "?after=host.example", null, 400, "after");
    }
}
