package io.xvtep.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.model.EventType;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java side's limits, flags, event types and counter reasons are the C header's:
 * every constant of {@link Abi}, and the order and count of {@link DropReason},
 * {@link PassReason} and the datapath codes of {@link EventType}, checked against bpf/include/xvtep_consts.h as
 * the compiler reads it.
 */
class AbiTest {

    /** The C name of an Abi constant: the same, with XVTEP_ in front for the MAX_, CFG_F_, EV_ and ENCAP_ ones. */
    static String cName(String javaName) {
        return javaName.startsWith("MAX_") || javaName.startsWith("CFG_F_") || javaName.startsWith("EV_")
                || javaName.startsWith("ENCAP") ? "XVTEP_" + javaName : javaName;
    }

    @Test
    void constantsEnumOrderAndCountsMatchTheHeader(@TempDir Path tmp) throws Exception {
        Map<String, String> exprs = new LinkedHashMap<>();
        Map<String, Long> expected = new LinkedHashMap<>();
        for (Field f : Abi.class.getDeclaredFields()) {
            int m = f.getModifiers();
            if (Modifier.isPublic(m) && Modifier.isStatic(m) && f.getType() == int.class) {
                exprs.put(f.getName(), cName(f.getName()));
                expected.put(f.getName(), (long) f.getInt(null));
            }
        }
        assertThat(expected).as("Abi constants found by reflection").hasSizeGreaterThan(20);
        for (DropReason r : DropReason.values()) {
            exprs.put("DROP_" + r.name(), "DROP_" + r.name());
            expected.put("DROP_" + r.name(), (long) r.ordinal());
        }
        exprs.put("DROP_REASON_MAX", "DROP_REASON_MAX");
        expected.put("DROP_REASON_MAX", (long) DropReason.values().length);
        for (PassReason r : PassReason.values()) {
            exprs.put("PASS_" + r.name(), "PASS_" + r.name());
            expected.put("PASS_" + r.name(), (long) r.ordinal());
        }
        exprs.put("PASS_REASON_MAX", "PASS_REASON_MAX");
        expected.put("PASS_REASON_MAX", (long) PassReason.values().length);
        for (EventType t : EventType.values()) {
            if (t.code() != 0) { // 0: an agent event (ageout), not in the ring buffer
                exprs.put("XVTEP_EV_" + t.name(), "XVTEP_EV_" + t.name());
                expected.put("XVTEP_EV_" + t.name(), (long) t.code());
            }
        }

        Map<String, Long> actual = CHeaderProbe.eval(tmp, List.of("xvtep_consts.h"), exprs);
        assertThat(actual).containsExactlyEntriesOf(expected);
    }

    /** The model's MTU arithmetic uses the datapath's encapsulation length (the model cannot import Abi). */
    @Test
    void modelEncapOverheadIsTheDatapaths() {
        assertThat(io.xvtep.model.VniConfig.ENCAP_OVERHEAD).isEqualTo(Abi.ENCAP_LEN);
        assertThat(io.xvtep.model.VniConfig.ENCAP6_OVERHEAD).isEqualTo(Abi.ENCAP6_LEN);
    }

    @Test
    void namesShownByTheControlPlane() {
        assertThat(DropReason.MTU.counter()).isEqualTo("drop_mtu");
        assertThat(DropReason.BAD_FLAGS.label()).isEqualTo("bad_flags");
        assertThat(PassReason.NOT_VXLAN.counter()).isEqualTo("pass_not_vxlan");
        assertThat(EventType.NEIGH_MISS.label()).isEqualTo("neigh_miss");
        assertThat(EventType.of(3)).contains(EventType.L2MISS);
        assertThat(EventType.of(99)).isEmpty();
    }
}
