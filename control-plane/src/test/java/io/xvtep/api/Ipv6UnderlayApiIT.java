package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.xvtep.api.AgentHarness.Response;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The IPv6 underlay at the API (issue 13): an agent with a local address of each family runs IPv4 and IPv6
 * VNIs side by side; a VNI is one family (as the kernel's device), so an address of the other family anywhere
 * in it (local, remote, group, FDB dst, flood list, allowed sources) is a 400 that changes nothing; the IPv6
 * options (udp6zerocsumtx, udp6zerocsumrx, flowlabel) read back and are refused on IPv4 VNIs.
 */
class Ipv6UnderlayApiIT extends AgentApiBase {

    Ipv6UnderlayApiIT() {
        super("p1");
    }

    @Override
    protected boolean ipv6Underlay() {
        return true;
    }

    @Override
    protected List<String> agentArgs() {
        return List.of("--local", "198.18.0.1", "--local", "2001:db8::1");
    }

    private static String v6(int vni, String extra) {
        return "{\"vni\":" + vni + ",\"remote\":\"2001:db8::2\"" + extra + "}";
    }

    @Test
    void ipv6AndIpv4VnisSideBySide() {
        Response r = h.post("/api/v1/vnis", v6(600, ""));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        JsonObject v = r.json();
        assertThat(v.getString("remote")).isEqualTo("2001:db8::2");
        assertThat(v.getString("local")).isEqualTo("2001:db8::1");
        assertThat(v.getJsonArray("flood")).containsExactly("2001:db8::2");
        assertThat(v.getInteger("mtu")).isEqualTo(1500 - 70);
        assertThat(v.getBoolean("udp6zerocsumtx")).isFalse();
        assertThat(v.getBoolean("udp6zerocsumrx")).isFalse();
        assertThat(v.getInteger("flowlabel")).isZero();
        r = h.post("/api/v1/vnis", vni(601, ""));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().getString("local")).isEqualTo("198.18.0.1");
        assertThat(r.json().getInteger("mtu")).isEqualTo(1500 - 50);
        assertThat(flood(600)).containsExactly("2001:db8::2");
        assertThat(flood(601)).containsExactly("198.18.0.2");
        assertThat(h.get("/api/v1/vnis/600").json().getString("remote")).isEqualTo("2001:db8::2");
    }

    private long refused400() {
        return h.get("/metrics").body().lines().filter(l -> l.startsWith("xvtep_api_refused_requests_total{status=\"400\"}"))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void aVniIsOneFamily() {
        long before = refused400();
        refused("POST", "/api/v1/vnis", "{\"vni\":610,\"local\":\"198.18.0.1\",\"remote\":\"2001:db8::2\"}", 400,
                "remote");
        refused("POST", "/api/v1/vnis", "{\"vni\":610,\"local\":\"2001:db8::1\",\"group\":\"239.1.1.1\"}", 400,
                "group");
        refused("POST", "/api/v1/vnis", v6(610, ",\"allowed_src\":[\"2001:db8::2\",\"198.18.0.3\"]"), 400,
                "allowed_src");
        refused("POST", "/api/v1/vnis", vni(610, ",\"allowed_src\":[\"2001:db8::2\"]"), 400, "allowed_src");
        assertThat(h.get("/api/v1/vnis/610").status()).isEqualTo(404);
        assertThat(refused400() - before).as("each refusal counted").isGreaterThanOrEqualTo(4);
    }

    @Test
    void fdbAndFloodEntriesAreOfTheVnisFamily() {
        assertThat(h.post("/api/v1/vnis", v6(620, "")).status()).isEqualTo(201);
        refused("POST", "/api/v1/vnis/620/fdb", "{\"mac\":\"02:00:00:00:06:01\",\"dst\":\"198.18.0.3\"}", 400, "dst");
        refused("POST", "/api/v1/vnis/620/fdb", "{\"mac\":\"00:00:00:00:00:00\",\"dst\":\"198.18.0.3\"}", 400, "dst");
        refused("PUT", "/api/v1/vnis/620/fdb/02:00:00:00:06:01", "{\"dst\":\"198.18.0.3\"}", 400, "dst");
        refused("POST", "/api/v1/vnis/620/fdb/bulk", "{\"entries\":[{\"mac\":\"02:00:00:00:06:02\",\"dst\":"
                + "\"2001:db8::3\"},{\"mac\":\"02:00:00:00:06:03\",\"dst\":\"198.18.0.3\"}]}", 400, null);
        Response r = h.post("/api/v1/vnis/620/fdb", "{\"mac\":\"02:00:00:00:06:01\",\"dst\":\"2001:db8::3\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        r = h.post("/api/v1/vnis/620/fdb", "{\"mac\":\"00:00:00:00:00:00\",\"dst\":\"2001:db8::4\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(flood(620)).containsExactly("2001:db8::2", "2001:db8::4");
        JsonObject e = h.get("/api/v1/vnis/620/fdb?type=static").array().stream().map(JsonObject.class::cast)
                .filter(o -> o.getString("mac").equals("02:00:00:00:06:01")).findFirst().orElseThrow();
        assertThat(e.getString("dst")).isEqualTo("2001:db8::3");
        assertThat(h.post("/api/v1/vnis", vni(621, "")).status()).isEqualTo(201);
        refused("POST", "/api/v1/vnis/621/fdb", "{\"mac\":\"02:00:00:00:06:01\",\"dst\":\"2001:db8::3\"}", 400, "dst");
    }

    @Test
    void unusableIpv6Addresses() {
        for (String bad : List.of("::", "::1", "fe80::2", "ff05::101")) {
            refused("POST", "/api/v1/vnis", "{\"vni\":630,\"remote\":\"" + bad + "\"}", 400, "remote");
        }
        refused("POST", "/api/v1/vnis", "{\"vni\":630,\"local\":\"ff05::1\"}", 400, "local");
        refused("POST", "/api/v1/vnis", "{\"vni\":630,\"group\":\"2001:db8::9\"}", 400, "group");
        refused("POST", "/api/v1/vnis", "{\"vni\":630,\"remote\":\"2001:db8::2%eth0\"}", 400, "remote");
    }

    @Test
    void multicastGroupOverIpv6() {
        Response r = h.post("/api/v1/vnis", "{\"vni\":640,\"group\":\"ff05::101\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        JsonObject v = r.json();
        assertThat(v.getString("group")).isEqualTo("ff05::101");
        assertThat(v.getString("local")).isEqualTo("2001:db8::1");
        assertThat(v.getValue("ttl")).as("hop limit auto: 1 to the group, as the kernel").isEqualTo("auto");
        assertThat(h.in("ip", "-6", "maddr", "show", "dev", "ul0")).contains("ff05::101");
        assertThat(h.delete("/api/v1/vnis/640").status()).isEqualTo(204);
        assertThat(h.in("ip", "-6", "maddr", "show", "dev", "ul0")).doesNotContain("ff05::101");
    }

    @Test
    void ipv6Options() {
        Response r = h.post("/api/v1/vnis", v6(650, ",\"udp6zerocsumtx\":true,\"udp6zerocsumrx\":true,"
                + "\"flowlabel\":\"inherit\""));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().getBoolean("udp6zerocsumtx")).isTrue();
        assertThat(r.json().getBoolean("udp6zerocsumrx")).isTrue();
        assertThat(r.json().getString("flowlabel")).isEqualTo("inherit");
        r = h.patch("/api/v1/vnis/650", "{\"flowlabel\":1048575}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().getInteger("flowlabel")).isEqualTo(0xfffff);
        assertThat(r.json().getBoolean("udp6zerocsumtx")).isTrue();
        assertThat(vniCfg(650).label()).isEqualTo(0xfffff);
        // fixed at create, as the kernel's device has them
        refused("PATCH", "/api/v1/vnis/650", "{\"udp6zerocsumtx\":false}", 400, "udp6zerocsumtx");
        refused("PATCH", "/api/v1/vnis/650", "{\"flowlabel\":1048576}", 400, "flowlabel");
        refused("PATCH", "/api/v1/vnis/650", "{\"flowlabel\":\"auto\"}", 400, "flowlabel");
        assertThat(h.post("/api/v1/vnis", vni(651, "")).status()).isEqualTo(201);
        refused("PATCH", "/api/v1/vnis/651", "{\"udp6zerocsumtx\":true}", 400, "udp6zerocsumtx");
        refused("POST", "/api/v1/vnis", vni(652, ",\"flowlabel\":5"), 400, "flowlabel");
    }

    /** The CLI as `ip link` spells it: the kernel's words in, `ip -d link`-style lines out. */
    @Test
    void cliTakesAndShowsIpv6Vnis() {
        var r = h.cli("vni", "add", "660", "group", "ff05::166", "udp6zerocsumtx", "udp6zerocsumrx", "flowlabel", "inherit");
        assertThat(r.exit()).as(r.err()).isZero();
        String show = h.cli("vni", "show", "660").check().out();
        assertThat(show).startsWith("vni 660 dstport 4789 group ff05::166 local 2001:db8::1 ttl auto")
                .contains(" flowlabel inherit").contains(" udp6zerocsumtx udp6zerocsumrx");
        assertThat(h.cli("fdb", "append", "00:00:00:00:00:00", "vni", "660", "dst", "2001:db8::7").exit()).isZero();
        assertThat(h.cli("fdb", "show", "vni", "660").check().out()).contains("00:00:00:00:00:00 vni 660 dst 2001:db8::7");
        r = h.cli("fdb", "append", "00:00:00:00:00:00", "vni", "660", "dst", "198.18.0.7");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("a VNI is one family");
        assertThat(h.cli("vni", "del", "660").exit()).isZero();
    }
}
