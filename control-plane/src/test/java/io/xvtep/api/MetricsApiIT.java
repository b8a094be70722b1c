package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.xvtep.api.AgentHarness.Response;
import io.xvtep.datapath.VniStats;

import org.junit.jupiter.api.Test;

/**
 * Counters (/api/v1/vnis/N/stats, /api/v1/stats) and Prometheus metrics (/metrics).
 */
class MetricsApiIT extends AgentApiBase {

    MetricsApiIT() {
        super();
    }

    @Test
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
}
