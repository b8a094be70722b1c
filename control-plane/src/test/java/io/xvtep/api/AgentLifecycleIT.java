package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;
import io.xvtep.datapath.XvtepConfig;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.api.AgentHarness.Response;
import io.xvtep.libbpf.BpfMap;
import io.xvtep.datapath.MapCodec;
import io.xvtep.model.IpAddress;

import java.nio.file.Files;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The agent as a process: what start attaches and writes, restart keeping state and replacing programs in
 * place, rediscovery of devices and groups, cleanup.
 */
class AgentLifecycleIT extends AgentApiBase {

    AgentLifecycleIT() {
        super("p1", "p2", "p3");
    }

    @Test
    void healthAndReadiness() throws Exception {
        assertThat(h.get("/healthz").status()).isEqualTo(200);
        Response r = h.get("/readyz");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().getString("status")).isEqualTo("ready");
        assertThat(h.in("ip", "link", "show", "dev", "ul0")).contains("xdp_underlay");
        assertThat(h.in("tc", "filter", "show", "dev", "ul0", "ingress")).contains("tc_underlay_ing");
        // agent start created the vni 0 counters and the global config
        assertThat(h.dump("xvtep_stats")).containsKey("00000000");
        XvtepConfig cfg;
        try (BpfMap m = h.map("xvtep_config")) {
            cfg = XvtepConfig.decode(m.lookup(MapCodec.u32(0)).orElseThrow());
        }
        assertThat(cfg.underlayIfindex()).isEqualTo(h.ifindex("ul0"));
        assertThat(cfg.localIp()).isEqualTo(IpAddress.parse("198.18.0.1"));
    }

    @Test
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

    @Test
    void restartWithOtherCapacitiesCarriesEveryEntryOver() throws Exception {
        assertThat(h.post("/api/v1/vnis", "{\"vni\":170,\"remote\":\"198.18.0.2\"}").status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/170/ports", "{\"ifname\":\"p2\"}").status()).isEqualTo(201);
        StringBuilder bulk = new StringBuilder("{\"entries\":[");
        for (int i = 0; i < 3000; i++) {
            bulk.append(i == 0 ? "" : ",").append(String.format("{\"mac\":\"02:17:00:00:%02x:%02x\",\"dst\":\"198.18.0.3\"}",
                    i >> 8, i & 0xff));
        }
        assertThat(h.post("/api/v1/vnis/170/fdb/bulk", bulk.append("]}").toString()).status()).isEqualTo(200);
        assertThat(h.post("/api/v1/vnis/170/neigh", "{\"ip\":\"10.20.1.3\",\"mac\":\"02:00:00:00:02:01\"}").status())
                .isEqualTo(201);
        var maps = h.snapshot();
        try {
            h.stopAgent();
            h.agentArgs.addAll(List.of("--fdb-capacity", "2000000", "--neigh-capacity", "300000", "--max-vnis", "5000",
                    "--max-ports", "2000"));
            h.startAgent();
            assertThat(h.snapshot()).isEqualTo(maps);
            String metrics = h.get("/metrics").body();
            assertThat(metrics).contains("xvtep_capacity{table=\"fdb\"} 2000000.0", "xvtep_capacity{table=\"neigh\"} 300000.0",
                    "xvtep_capacity{table=\"vnis\"} 5000.0", "xvtep_capacity{table=\"ports\"} 2000.0");
            try (BpfMap fdb = h.map("xvtep_fdb")) {
                assertThat(fdb.maxEntries()).isEqualTo(2_000_000);
            }
        } finally {
            h.stopAgent();
            h.agentArgs.clear();
            h.startAgent(); // back to the defaults: carried over once more
        }
        assertThat(h.snapshot()).isEqualTo(maps);
        assertThat(h.delete("/api/v1/vnis/170").status()).isEqualTo(204);
    }

    private static String progId(String ipLink) {
        return ipLink.replaceAll("(?s).*prog/xdp id (\\d+).*", "$1");
    }

    @Test
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
    void cleanupDetachesEverythingAndRemovesThePins() throws Exception {
        // what cleanup must remove: XDP and TC on the underlay (agent start), TC on ports (one with XDP redirects)
        assertThat(h.post("/api/v1/vnis", "{\"vni\":160,\"remote\":\"198.18.0.2\"}").status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/160/ports", "{\"ifname\":\"p2\"}").status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/160/ports", "{\"ifname\":\"p3\",\"xdp\":true}").status()).isEqualTo(201);
        assertThat(tcAttached("p2")).isTrue();
        assertThat(tcAttached("p3")).isTrue();
        try {
            h.stopAgent();
            assertThat(h.agentAlive()).isFalse();
            h.in("java", "-jar", h.jar.toString(), "agent", "--cleanup", "--underlay", "ul0", "--pin-root",
                    h.pinRoot.toString());
            assertThat(Files.exists(h.pinRoot)).isFalse();
            assertThat(h.in("ip", "link", "show", "dev", "ul0")).doesNotContain("xdp");
            assertThat(h.in("tc", "filter", "show", "dev", "ul0", "ingress")).doesNotContain("tc_underlay_ing");
            for (String p : List.of("p1", "p2", "p3")) {
                assertThat(tcAttached(p)).as(p).isFalse();
            }
        } finally {
            h.startAgent(); // a fresh agent for whatever runs next in this class
        }
    }
}
