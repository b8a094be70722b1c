package io.xvtep.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xvtep.cluster.StoreRecords.EndpointRecord;
import io.xvtep.cluster.StoreRecords.NodeRecord;
import io.xvtep.cluster.StoreRecords.Outer;
import io.xvtep.cluster.StoreRecords.TombstoneRecord;
import io.xvtep.cluster.StoreRecords.VniRecord;
import io.xvtep.model.IpAddress;
import io.xvtep.model.IpAddress.Family;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Pins the store's record format: what an agent writes is read by agents of other versions, so a
 * change here is a change of the schema (bump {@link StoreRecords#VERSION}, keep reading the old).
 */
class StoreRecordsTest {

    private static final IpAddress H1 = IpAddress.parse("198.18.0.11");

    private static VniRecord vni42() {
        return new VniRecord(42, 4789, null, new Outer(64, false), Outer.INHERIT, "unset", true, false, false, false,
                300, 49152, 65535, 1450, List.of(IpAddress.parse("198.18.0.12"), H1));
    }

    @Test
    void nodeRecordFormat() {
        NodeRecord r = new NodeRecord(H1, List.of(43, 42, 42));
        String golden = "{\"v\":1,\"vtep\":\"198.18.0.11\",\"vnis\":[42,43]}";
        assertThat(r.encode()).isEqualTo(golden);
        assertThat(NodeRecord.decode(golden)).isEqualTo(r);
    }

    @Test
    void dualStackNodeAndIpv6VniFormats() {
        NodeRecord r = NodeRecord.of(H1, IpAddress.parse("2001:db8::1"), List.of(42));
        String golden = "{\"v\":1,\"vtep\":\"198.18.0.11\",\"vtep6\":\"2001:db8::1\",\"vnis\":[42]}";
        assertThat(r.encode()).isEqualTo(golden);
        assertThat(NodeRecord.decode(golden)).isEqualTo(r);
        assertThat(r.vtep(Family.IPV4)).isEqualTo(H1);
        assertThat(r.vtep(Family.IPV6)).isEqualTo(IpAddress.parse("2001:db8::1"));
        NodeRecord v6only = NodeRecord.of(null, IpAddress.parse("2001:db8::2"), List.of(42));
        assertThat(v6only.encode()).isEqualTo("{\"v\":1,\"vtep\":\"2001:db8::2\",\"vnis\":[42]}");
        assertThat(v6only.vtep(Family.IPV4)).isNull();
        assertThat(v6only.vtep(Family.IPV6)).isEqualTo(IpAddress.parse("2001:db8::2"));
        VniRecord v = new VniRecord(9, null, IpAddress.parse("ff05::101"), new StoreRecords.Outer(0, false), null, null,
                null, null, null, null, null, null, null, null, null, Family.IPV6, true, false,
                StoreRecords.Outer.INHERIT);
        String vg = "{\"v\":1,\"vni\":9,\"group\":\"ff05::101\",\"ttl\":0,\"family\":\"ipv6\","
                + "\"udp6zerocsumtx\":true,\"udp6zerocsumrx\":false,\"flowlabel\":\"inherit\"}";
        assertThat(v.encode()).isEqualTo(vg);
        assertThat(VniRecord.decode(vg)).isEqualTo(v);
        assertThat(VniRecord.decode("{\"v\":1,\"vni\":9}").familyOrDefault()).isEqualTo(Family.IPV4);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> VniRecord.decode("{\"v\":1,\"vni\":9,\"family\":\"ipx\"}"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void endpointRecordFormat() {
        EndpointRecord r = new EndpointRecord("h1", H1,
                List.of(StoreRecords.literal("10.20.1.12"), StoreRecords.literal("10.20.1.11")));
        String golden = "{\"v\":1,\"node\":\"h1\",\"vtep\":\"198.18.0.11\",\"ips\":[\"10.20.1.11\",\"10.20.1.12\"]}";
        assertThat(r.encode()).isEqualTo(golden);
        assertThat(EndpointRecord.decode(golden)).isEqualTo(r);
    }

    @Test
    void vniRecordFormat() {
        String golden = "{\"v\":1,\"vni\":42,\"dstport\":4789,\"ttl\":64,\"tos\":\"inherit\",\"df\":\"unset\","
                + "\"learning\":true,\"proxy\":false,\"l2miss\":false,\"l3miss\":false,\"ageing\":300,"
                + "\"srcport_min\":49152,\"srcport_max\":65535,\"mtu\":1450,"
                + "\"allowed_src\":[\"198.18.0.12\",\"198.18.0.11\"]}";
        assertThat(vni42().encode()).isEqualTo(golden);
        assertThat(VniRecord.decode(golden)).isEqualTo(vni42());
        VniRecord g = new VniRecord(7, null, IpAddress.parse("239.1.1.1"), null, null, null, null, null, null, null, null,
                null, null, null, null);
        assertThat(g.encode()).isEqualTo("{\"v\":1,\"vni\":7,\"group\":\"239.1.1.1\"}");
    }

    @Test
    void tombstoneRecordFormat() {
        TombstoneRecord t = new TombstoneRecord(42, "h1", "2026-12-01T15:00:00Z");
        String golden = "{\"v\":1,\"vni\":42,\"node\":\"h1\",\"deleted\":\"2026-12-01T15:00:00Z\"}";
        assertThat(t.encode()).isEqualTo(golden);
        assertThat(TombstoneRecord.decode(golden)).isEqualTo(t);
    }

    /** Values as agents wrote them before the store had its own schema (no "v"): read as version 1. */
    @Test
    void valuesWithoutAVersionAreRead() {
        assertThat(NodeRecord.decode("{\"vtep\":\"198.18.0.11\",\"vnis\":[42]}"))
                .isEqualTo(new NodeRecord(H1, List.of(42)));
        assertThat(EndpointRecord.decode("{\"node\":\"h1\",\"vtep\":\"198.18.0.11\",\"ips\":[\"10.20.1.11\"]}"))
                .isEqualTo(new EndpointRecord("h1", H1, List.of(StoreRecords.literal("10.20.1.11"))));
        // the HTTP API's VNI JSON without local/remote/device, as ClusterSync stored it
        String old = "{\"vni\":42,\"dstport\":4789,\"ttl\":64,\"tos\":\"inherit\",\"df\":\"unset\",\"learning\":true,"
                + "\"proxy\":false,\"l2miss\":false,\"l3miss\":false,\"ageing\":300,\"srcport_min\":49152,"
                + "\"srcport_max\":65535,\"mtu\":1450,\"allowed_src\":[\"198.18.0.12\",\"198.18.0.11\"]}";
        assertThat(VniRecord.decode(old)).isEqualTo(vni42());
        assertThat(TombstoneRecord.decode("{\"vni\":42,\"node\":\"h1\",\"deleted\":\"2026-11-23T10:30:00Z\"}").vni())
                .isEqualTo(42);
    }

    @Test
    void badAndFutureValuesAreRefused() {
        assertThatThrownBy(() -> NodeRecord.decode("{\"v\":2,\"vtep\":\"198.18.0.11\",\"vnis\":[42]}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("version 2");
        assertThatThrownBy(() -> NodeRecord.decode("not json")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NodeRecord.decode("{\"vnis\":\"42\"}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VniRecord.decode("{\"vni\":\"42\"}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VniRecord.decode("{\"vni\":42,\"learning\":\"yes\"}"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VniRecord.decode("{\"vni\":42,\"df\":\"maybe\"}"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VniRecord.decode("{\"vni\":42,\"allowed_src\":[\"nope\"]}"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VniRecord.decode("{\"dstport\":4789}")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anUpdateComparesOnlyTheOptionsTheStoredRecordSets() {
        VniRecord local = vni42();
        VniRecord onlyProxy = VniRecord.decode("{\"vni\":42,\"proxy\":true}");
        assertThat(onlyProxy.optionsDiffer(local)).isTrue();
        assertThat(VniRecord.decode("{\"vni\":42,\"proxy\":false,\"dstport\":8472}").optionsDiffer(local)).isFalse();
        // allowed_src compares as a set
        assertThat(VniRecord.decode("{\"vni\":42,\"allowed_src\":[\"198.18.0.11\",\"198.18.0.12\"]}")
                .optionsDiffer(local)).isFalse();
        assertThat(VniRecord.decode("{\"vni\":42,\"allowed_src\":[]}").optionsDiffer(local)).isTrue();
    }
}
