package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.api.AgentHarness.Response;
import io.xvtep.libbpf.BpfMap;
import io.xvtep.datapath.MapCodec;
import io.xvtep.datapath.MapCodec.PortCfg;
import io.xvtep.testkit.Netns;

import org.junit.jupiter.api.Test;

/**
 * Ports over the API: attach, list, the dense per-VNI list, refusals, peer delivery for container veths.
 */
class PortApiIT extends AgentApiBase {

    PortApiIT() {
        super("p1", "p2", "p3", "p4", "p5");
    }

    @Test
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
        assertThat(h.dump("xvtep_ports")).doesNotContainKey(u32Hex(p1));
        assertThat(h.delete("/api/v1/vnis/110/ports/p2").status()).isEqualTo(204);
        assertThat(vniPorts(110)).containsExactly(p3);
        assertThat(h.delete("/api/v1/vnis/110/ports/p3").status()).isEqualTo(204);
        assertThat(vniPorts(110)).isEmpty();
        assertThat(h.get("/api/v1/vnis/110/ports").array()).isEmpty();
    }

    @Test
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

    @Test
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
}
