package io.xvtep.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ModelTest {

    @Test
    void macParsesAndPrintsLowerCase() {
        Mac m = Mac.parse("02:AA:00:00:00:0F");
        assertThat(m.toString()).isEqualTo("02:aa:00:00:00:0f");
        assertThat(m.bytes()).containsExactly(0x02, 0xaa, 0, 0, 0, 0x0f);
        assertThat(Mac.of(m.bytes())).isEqualTo(m);
        assertThat(m.isZero()).isFalse();
        assertThat(m.isMulticast()).isFalse();
        assertThat(Mac.parse("00:00:00:00:00:00").isZero()).isTrue();
        assertThat(Mac.parse("01:00:5e:00:00:01").isMulticast()).isTrue();
        assertThat(Mac.parse("ff:ff:ff:ff:ff:ff").isMulticast()).isTrue();
        assertThat(Mac.parse("Fe:dC:bA:98:76:54").toString()).isEqualTo("fe:dc:ba:98:76:54");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "02:00:00:00:00", "02:00:00:00:00:00:00", "02-00-00-00-00-02", "2:0:0:0:0:2",
            "02:00:00:00:00:0g", "02:00:00:00:00:+1", "zz:00:00:00:00:00", "02:00:00:00:00:02:", ":02:00:00:00:00:02",
            "02:00:00:00:0002", "02:00:00:00:00-02", "02:00:00:00:00:2 "})
    void malformedMacsAreRejected(String s) {
        assertThatThrownBy(() -> Mac.parse(s)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void vniRange() {
        assertThat(Vni.parse("1").value()).isEqualTo(1);
        assertThat(Vni.parse("16777215").value()).isEqualTo(16777215);
        assertThatThrownBy(() -> Vni.parse("0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Vni.parse("16777216")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Vni.parse("-1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Vni.parse("0x2a")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Vni.of(1L << 32)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ipv4() {
        Ipv4 a = Ipv4.parse("198.18.0.2");
        assertThat(a.toString()).isEqualTo("198.18.0.2");
        assertThat(a.bytes()).containsExactly(198, 18, 0, 2);
        assertThat(Ipv4.of(a.toInet())).isEqualTo(a);
        assertThat(a.isUsableUnicast()).isTrue();
        assertThat(Ipv4.parse("239.1.1.1").isMulticast()).isTrue();
        assertThat(Ipv4.parse("255.255.255.255").isUsableUnicast()).isFalse();
        assertThat(Ipv4.parse("127.0.0.1").isUsableUnicast()).isFalse();
        assertThat(Ipv4.parse("0.0.0.0").value()).isZero();
        assertThat(Ipv4.parse("255.255.255.254").value()).isEqualTo(0xfffffffe);
        assertThat(Ipv4.parse("10.0.100.9").toString()).isEqualTo("10.0.100.9");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "a.b.c.d", "1.2.3.-4", "localhost",
            "1..2.3", "1.2.3.4.", ".1.2.3.4", "1.2.3.", " 1.2.3.4", "1.2.3.4 ", "1.2.3.0004", "1.2.3.99999999999",
            "1.2.3.00", "1,2.3.4"})
    void malformedIpv4IsRejected(String s) {
        assertThatThrownBy(() -> Ipv4.parse(s)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fdbEntryPointsAtOneThing() {
        Vni v = new Vni(42);
        Mac m = Mac.parse("02:00:00:00:00:02");
        assertThatThrownBy(() -> new FdbEntry(v, m, null, 0, null, FdbType.STATIC, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new FdbEntry(v, m, IpAddress.parse("1.2.3.4"), 0, null, FdbType.STATIC, 0).isRemote()).isTrue();
        assertThat(FdbType.parse("learned")).isEqualTo(FdbType.LEARNED);
        assertThatThrownBy(() -> FdbType.parse("dynamic")).isInstanceOf(IllegalArgumentException.class);
    }
}
