package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.xvtep.model.Vni;
import io.xvtep.service.Counters;
import io.xvtep.service.VniSpec;
import io.xvtep.service.VniSpec.Inheritable;
import io.xvtep.service.VtepException;

import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

class JsonCodecTest {

    private static VtepException refused(String body, Set<String> fields) {
        try {
            JsonCodec.vniSpec(JsonCodec.object(Buffer.buffer(body), fields));
        } catch (VtepException e) {
            assertThat(e.kind()).isEqualTo(VtepException.Kind.INVALID);
            return e;
        }
        throw new AssertionError("accepted: " + body);
    }

    @Test
    void parsesAFullVniRequest() {
        VniSpec s = JsonCodec.vniSpec(JsonCodec.object(Buffer.buffer(
                "{\"vni\":42,\"dstport\":4789,\"remote\":\"198.18.0.2\",\"ttl\":\"inherit\",\"tos\":3,"
                        + "\"learning\":false,\"srcport_min\":1,\"srcport_max\":2}"), JsonCodec.VNI_FIELDS));
        assertThat(s.vni()).isEqualTo(new Vni(42));
        assertThat(s.ttl()).isEqualTo(Inheritable.INHERIT);
        assertThat(s.tos()).isEqualTo(Inheritable.of(3));
        assertThat(s.learning()).isFalse();
        assertThat(s.proxy()).isNull();
    }

    @Test
    void rejectsWrongShapes() {
        assertThat(refused("{\"vni\":1,\"x\":1}", JsonCodec.VNI_FIELDS).field()).isEqualTo("x");
        assertThat(refused("{\"vni\":\"1\"}", JsonCodec.VNI_FIELDS).field()).isEqualTo("vni");
        assertThat(refused("{\"vni\":1.5}", JsonCodec.VNI_FIELDS).field()).isEqualTo("vni");
        assertThat(refused("{\"vni\":1,\"ttl\":\"never\"}", JsonCodec.VNI_FIELDS).field()).isEqualTo("ttl");
        assertThat(refused("{\"vni\":1,\"tos\":\"auto\"}", JsonCodec.VNI_FIELDS).field()).isEqualTo("tos"); // ttl only
        assertThat(refused("{\"vni\":1,\"flowlabel\":\"auto\"}", JsonCodec.VNI_FIELDS).field()).isEqualTo("flowlabel");
        assertThat(refused("{\"vni\":1,\"proxy\":\"true\"}", JsonCodec.VNI_FIELDS).field()).isEqualTo("proxy");
        assertThat(refused("{\"vni\":1,\"remote\":[1]}", JsonCodec.VNI_FIELDS).field()).isEqualTo("remote");
        assertThat(refused("[]", JsonCodec.VNI_FIELDS).field()).isNull();
        assertThat(refused("{", JsonCodec.VNI_FIELDS).getMessage()).startsWith("malformed JSON");
        assertThatThrownBy(() -> JsonCodec.object(Buffer.buffer(), JsonCodec.VNI_FIELDS))
                .isInstanceOf(VtepException.class);
    }

    @Test
    void hugeNumbersFailTheRangeCheckInsteadOfWrapping() {
        assertThat(refused("{\"vni\":18446744073709551658}", JsonCodec.VNI_FIELDS).field()).isEqualTo("vni");
        VniSpec s = JsonCodec.vniSpec(JsonCodec.object(Buffer.buffer("{\"vni\":1,\"mtu\":18446744073709551658}"),
                JsonCodec.VNI_FIELDS));
        assertThat(s.mtu()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void statsTotalsAddUp() {
        Map<String, Long> c = new java.util.LinkedHashMap<>(Counters.ZERO.values());
        c.put("rx_packets", 5L);
        JsonObject o = JsonCodec.allStats(Map.of(0, new Counters(c), 42, new Counters(c)));
        assertThat(o.getJsonObject("total").getLong("rx_packets")).isEqualTo(10);
        assertThat(o.getJsonObject("vnis").getJsonObject("42").getInteger("vni")).isEqualTo(42);
        assertThat(JsonCodec.error("x", null).containsKey("field")).isFalse();
    }

    /** The stats JSON keeps its names and order; reasons added since come after the older drops. */
    @Test
    void statsNamesArePinned() {
        JsonObject o = JsonCodec.stats(7, Counters.ZERO);
        assertThat(o.fieldNames()).containsExactly("vni", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes",
                "switched_packets", "switched_bytes", "flooded_packets", "proxied", "learned", "moved", "l2miss",
                "l3miss", "learn_refused", "pass_not_vxlan", "pass_unknown_vni", "pass_ipv6_ext", "drop_truncated", "drop_bad_flags", "drop_no_dest",
                "drop_hairpin", "drop_fib", "drop_mtu", "drop_ecn", "drop_adjust", "drop_src", "drop_redirect",
                "drop_list_gap", "drop_internal", "drop_ip_csum", "drop_udp_len", "drop_udp_csum", "drop_martian",
                "drop_src_mac", "drop_static_mac", "drop_link_local", "drop_fragment", "drop_too_big", "drop_frag_needed",
                "drop_udp6_zero_csum", "drop_family", "drop_gso_csum", "drop_otherhost",
                "events_emitted", "events_lost");
    }
}
