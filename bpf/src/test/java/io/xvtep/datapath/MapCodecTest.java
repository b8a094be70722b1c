package io.xvtep.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xvtep.model.IpAddress;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MapCodecTest {

    /** The first 12 bytes of an IPv4-mapped union vtep_addr. */
    private static final String V4MAPPED = "00000000000000000000ffff";

    /** struct name -> sizeof as the codec believes it. */
    private static final Map<String, Integer> SIZES = new LinkedHashMap<>();
    /** "struct.field" -> offset as the codec believes it. */
    private static final Map<String, Integer> OFFSETS = new LinkedHashMap<>();

    static {
        SIZES.put("xvtep_config", XvtepConfig.SIZE);
        OFFSETS.put("xvtep_config.underlay_ifindex", XvtepConfig.OFF_UNDERLAY_IFINDEX);
        OFFSETS.put("xvtep_config.underlay_mac", XvtepConfig.OFF_UNDERLAY_MAC);
        OFFSETS.put("xvtep_config.pad", XvtepConfig.OFF_PAD);
        OFFSETS.put("xvtep_config.flags", XvtepConfig.OFF_FLAGS);
        OFFSETS.put("xvtep_config.local_ip", XvtepConfig.OFF_LOCAL_IP);
        OFFSETS.put("xvtep_config.local_ip6", XvtepConfig.OFF_LOCAL_IP6);
        SIZES.put("union vtep_addr", MapCodec.ADDR_LEN);

        SIZES.put("vni_cfg", VniCfg.SIZE);
        OFFSETS.put("vni_cfg.vni", VniCfg.OFF_VNI);
        OFFSETS.put("vni_cfg.flags", VniCfg.OFF_FLAGS);
        OFFSETS.put("vni_cfg.local", VniCfg.OFF_LOCAL);
        OFFSETS.put("vni_cfg.group", VniCfg.OFF_GROUP);
        OFFSETS.put("vni_cfg.dstport", VniCfg.OFF_DSTPORT);
        OFFSETS.put("vni_cfg.srcport_min", VniCfg.OFF_SRCPORT_MIN);
        OFFSETS.put("vni_cfg.srcport_max", VniCfg.OFF_SRCPORT_MAX);
        OFFSETS.put("vni_cfg.ttl", VniCfg.OFF_TTL);
        OFFSETS.put("vni_cfg.tos", VniCfg.OFF_TOS);
        OFFSETS.put("vni_cfg.n_ports", VniCfg.OFF_N_PORTS);
        OFFSETS.put("vni_cfg.n_flood", VniCfg.OFF_N_FLOOD);
        OFFSETS.put("vni_cfg.ageing", VniCfg.OFF_AGEING);
        OFFSETS.put("vni_cfg.mtu", VniCfg.OFF_MTU);
        OFFSETS.put("vni_cfg.dev_ifindex", VniCfg.OFF_DEV_IFINDEX);
        OFFSETS.put("vni_cfg.label", VniCfg.OFF_LABEL);
        OFFSETS.put("vni_cfg.stats_slot", VniCfg.OFF_STATS_SLOT);
        OFFSETS.put("vni_cfg.pad", VniCfg.OFF_PAD);

        SIZES.put("port_cfg", PortCfg.SIZE);
        OFFSETS.put("port_cfg.vni", PortCfg.OFF_VNI);
        OFFSETS.put("port_cfg.flags", PortCfg.OFF_FLAGS);

        SIZES.put("learn_key", LearnKey.SIZE);
        OFFSETS.put("learn_key.scope", LearnKey.OFF_SCOPE);
        OFFSETS.put("learn_key.id", LearnKey.OFF_ID);
        SIZES.put("learn_limit", LearnLimit.SIZE);
        OFFSETS.put("learn_limit.forgotten", LearnLimit.OFF_FORGOTTEN);
        OFFSETS.put("learn_limit.max", LearnLimit.OFF_MAX);
        OFFSETS.put("learn_limit.pad", LearnLimit.OFF_PAD);
        SIZES.put("vni_idx_key", VniIdxKey.SIZE);
        OFFSETS.put("vni_idx_key.vni", VniIdxKey.OFF_VNI);
        OFFSETS.put("vni_idx_key.idx", VniIdxKey.OFF_IDX);

        SIZES.put("encap_cache_key", EncapCacheKey.SIZE);
        OFFSETS.put("encap_cache_key.src", EncapCacheKey.OFF_SRC);
        OFFSETS.put("encap_cache_key.dst", EncapCacheKey.OFF_DST);
        SIZES.put("encap_cache_entry", EncapCacheEntry.SIZE);
        OFFSETS.put("encap_cache_entry.built_ns", EncapCacheEntry.OFF_BUILT_NS);
        OFFSETS.put("encap_cache_entry.ifindex", EncapCacheEntry.OFF_IFINDEX);
        OFFSETS.put("encap_cache_entry.dmac", EncapCacheEntry.OFF_DMAC);
        OFFSETS.put("encap_cache_entry.smac", EncapCacheEntry.OFF_SMAC);
        OFFSETS.put("encap_cache_entry.h_proto", EncapCacheEntry.OFF_H_PROTO);
        OFFSETS.put("encap_cache_entry.ttl", EncapCacheEntry.OFF_TTL);
        OFFSETS.put("encap_cache_entry.addr_sum", EncapCacheEntry.OFF_ADDR_SUM);

        SIZES.put("flood_dst", FloodDst.SIZE);
        OFFSETS.put("flood_dst.dst", FloodDst.OFF_DST);
        OFFSETS.put("flood_dst.flags", FloodDst.OFF_FLAGS);

        SIZES.put("fdb_key", FdbKey.SIZE);
        OFFSETS.put("fdb_key.vni", FdbKey.OFF_VNI);
        OFFSETS.put("fdb_key.mac", FdbKey.OFF_MAC);
        OFFSETS.put("fdb_key.pad", FdbKey.OFF_PAD);

        SIZES.put("fdb_entry", FdbValue.SIZE);
        OFFSETS.put("fdb_entry.remote", FdbValue.OFF_REMOTE);
        OFFSETS.put("fdb_entry.ifindex", FdbValue.OFF_IFINDEX);
        OFFSETS.put("fdb_entry.flags", FdbValue.OFF_FLAGS);
        OFFSETS.put("fdb_entry.updated_ns", FdbValue.OFF_UPDATED_NS);

        SIZES.put("neigh_key", NeighKey.SIZE);
        OFFSETS.put("neigh_key.vni", NeighKey.OFF_VNI);
        OFFSETS.put("neigh_key.ip", NeighKey.OFF_IP);
        SIZES.put("neigh6_key", Neigh6Key.SIZE);
        OFFSETS.put("neigh6_key.vni", Neigh6Key.OFF_VNI);
        OFFSETS.put("neigh6_key.ip", Neigh6Key.OFF_IP);
        SIZES.put("neigh_entry", NeighEntry.SIZE);
        OFFSETS.put("neigh_entry.mac", NeighEntry.OFF_MAC);
        OFFSETS.put("neigh_entry.flags", NeighEntry.OFF_FLAGS);

        SIZES.put("vni_src_key", VniSrcKey.SIZE);
        OFFSETS.put("vni_src_key.vni", VniSrcKey.OFF_VNI);
        OFFSETS.put("vni_src_key.src", VniSrcKey.OFF_SRC);

        SIZES.put("vni_stats", VniStats.SIZE);
        for (String f : VniStats.FIELDS) {
            if (!f.startsWith("drop_") && !f.startsWith("pass_")) {
                OFFSETS.put("vni_stats." + f, VniStats.offset(f));
            }
        }
        for (PassReason r : PassReason.values()) {
            OFFSETS.put("vni_stats.pass[PASS_" + r.name() + "]", VniStats.offset(r));
        }
        for (DropReason r : DropReason.values()) {
            OFFSETS.put("vni_stats.drop[DROP_" + r.name() + "]", VniStats.offset(r));
        }

        SIZES.put("xvtep_event", XvtepEvent.SIZE);
        OFFSETS.put("xvtep_event.type", XvtepEvent.OFF_TYPE);
        OFFSETS.put("xvtep_event.vni", XvtepEvent.OFF_VNI);
        OFFSETS.put("xvtep_event.mac", XvtepEvent.OFF_MAC);
        OFFSETS.put("xvtep_event.pad", XvtepEvent.OFF_PAD);
        OFFSETS.put("xvtep_event.remote", XvtepEvent.OFF_REMOTE);
        OFFSETS.put("xvtep_event.ifindex", XvtepEvent.OFF_IFINDEX);
        OFFSETS.put("xvtep_event.ip", XvtepEvent.OFF_IP);
        OFFSETS.put("xvtep_event.ip6", XvtepEvent.OFF_IP6);
        OFFSETS.put("xvtep_event.ts_ns", XvtepEvent.OFF_TS_NS);
    }

    /** The layout the C compiler gives xvtep_structs.h must be the one the codecs use. */
    @Test
    void sizesAndOffsetsMatchTheHeader(@TempDir Path tmp) throws Exception {
        Map<String, String> exprs = new LinkedHashMap<>();
        Map<String, Long> expected = new LinkedHashMap<>();
        SIZES.forEach((s, size) -> {
            exprs.put(s, "sizeof(" + (s.startsWith("union ") ? s : "struct " + s) + ")");
            expected.put(s, (long) size);
        });
        OFFSETS.forEach((k, off) -> {
            int dot = k.indexOf('.');
            exprs.put(k, "offsetof(struct " + k.substring(0, dot) + ", " + k.substring(dot + 1) + ")");
            expected.put(k, (long) off);
        });
        exprs.put("vni_stats.fields", "sizeof(struct vni_stats) / sizeof(__u64)");
        expected.put("vni_stats.fields", (long) VniStats.FIELDS.size());

        Map<String, Long> actual = CHeaderProbe.eval(tmp, List.of("xvtep_structs.h"), exprs);
        assertThat(actual).containsExactlyInAnyOrderEntriesOf(expected);
    }

    @Test
    void vniCfgBytes() {
        VniCfg c = new VniCfg(42, VniCfg.F_LEARNING | VniCfg.F_L2MISS, IpAddress.parse("198.18.0.1"),
                IpAddress.parse("239.1.1.1"), 4789, 32768, 60999, 64, 0x10, 3, 2, 300, 1450, 7).withStatsSlot(9);
        byte[] b = c.encode();
        assertThat(HexFormat.of().formatHex(b)).isEqualTo(
                "2a000000" + "05000000" + V4MAPPED + "c6120001" + V4MAPPED + "ef010101" + "b512" + "0080" + "47ee"
                        + "40" + "10" + "03000000" + "02000000" + "2c010000" + "aa050000" + "07000000" + "00000000"
                        + "09000000" + "00000000");
        assertThat(VniCfg.decode(b)).isEqualTo(c);
        assertThat(c.withCounts(5, 6).nPorts()).isEqualTo(5);

        VniCfg v6 = new VniCfg(43, VniCfg.F_IPV6 | VniCfg.F_UDP_ZERO_CSUM6_RX, IpAddress.parse("2001:db8::1"),
                IpAddress.parse("ff05::42"), 4789, 0, 0, 0, 0, 0, 0, 300, 0, 0, 0x12345);
        byte[] b6 = v6.encode();
        assertThat(HexFormat.of().formatHex(b6)).startsWith("2b000000" + "000a0000"
                + "20010db8000000000000000000000001" + "ff050000000000000000000000000042").endsWith("45230100" + "00000000" + "00000000");
        assertThat(VniCfg.decode(b6)).isEqualTo(v6);
        VniCfg none = new VniCfg(44, 0, null, null, 4789, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        assertThat(java.util.Arrays.copyOfRange(none.encode(), VniCfg.OFF_LOCAL, VniCfg.OFF_DSTPORT))
                .as("unset local and group are all-zero").containsOnly(0);
        assertThat(VniCfg.decode(none.encode())).isEqualTo(none);
        assertThatThrownBy(() -> new VniCfg(1, 0, null, null, 4789, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 << 20))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void configBytes() {
        XvtepConfig c = XvtepConfig.of(3, IpAddress.parse("10.0.0.1"), Mac.parse("02:11:22:33:44:55"), 0);
        assertThat(HexFormat.of().formatHex(c.encode())).isEqualTo("03000000" + "021122334455" + "0000" + "00000000"
                + V4MAPPED + "0a000001" + "00".repeat(16));
        assertThat(XvtepConfig.decode(c.encode())).isEqualTo(c);
        XvtepConfig dual = new XvtepConfig(3, IpAddress.parse("10.0.0.1"), IpAddress.parse("2001:db8::1"), Mac.ZERO,
                XvtepConfig.F_NO_XDP_REDIRECT);
        assertThat(HexFormat.of().formatHex(dual.encode())).endsWith("20010db8000000000000000000000001");
        assertThat(XvtepConfig.decode(dual.encode())).isEqualTo(dual);
        assertThat(dual.local(true)).isEqualTo(IpAddress.parse("2001:db8::1"));
        assertThatThrownBy(() -> new XvtepConfig(3, IpAddress.parse("2001:db8::1"), null, Mac.ZERO, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fdbBytes() {
        FdbKey k = new FdbKey(0x123456, Mac.parse("02:00:00:00:00:02"));
        assertThat(HexFormat.of().formatHex(k.encode())).isEqualTo("56341200" + "020000000002" + "0000");
        assertThat(FdbKey.decode(k.encode())).isEqualTo(k);
        FdbValue v = new FdbValue(IpAddress.parse("198.18.0.2"), 0, FdbValue.F_STATIC, 0x0102030405060708L);
        assertThat(HexFormat.of().formatHex(v.encode()))
                .isEqualTo(V4MAPPED + "c6120002" + "00000000" + "01000000" + "0807060504030201");
        assertThat(FdbValue.decode(v.encode())).isEqualTo(v);
        FdbValue local = new FdbValue(null, 7, 0, 1);
        assertThat(HexFormat.of().formatHex(local.encode())).startsWith("00".repeat(16) + "07000000");
        assertThat(FdbValue.decode(local.encode())).isEqualTo(local);
        FdbValue v6 = new FdbValue(IpAddress.parse("2001:db8::2"), 0, 0, 1);
        assertThat(HexFormat.of().formatHex(v6.encode())).startsWith("20010db8000000000000000000000002");
        assertThat(FdbValue.decode(v6.encode())).isEqualTo(v6);
    }

    @Test
    void smallStructs() {
        assertThat(HexFormat.of().formatHex(new PortCfg(42, PortCfg.F_XDP).encode())).isEqualTo("2a00000001000000");
        assertThat(HexFormat.of().formatHex(new VniIdxKey(42, 3).encode())).isEqualTo("2a00000003000000");
        assertThat(HexFormat.of().formatHex(new FloodDst(IpAddress.parse("198.18.0.3"), 0).encode()))
                .isEqualTo(V4MAPPED + "c6120003" + "00000000");
        FloodDst f6 = new FloodDst(IpAddress.parse("ff02::1:2"), FloodDst.F_CLUSTER);
        assertThat(FloodDst.decode(f6.encode())).isEqualTo(f6);
        assertThat(HexFormat.of().formatHex(new NeighKey(1, Ipv4.parse("10.1.1.1")).encode()))
                .isEqualTo("010000000a010101");
        VniSrcKey sk = new VniSrcKey(42, IpAddress.parse("198.18.0.2"));
        assertThat(HexFormat.of().formatHex(sk.encode())).isEqualTo("2a000000" + V4MAPPED + "c6120002");
        assertThat(VniSrcKey.decode(sk.encode())).isEqualTo(sk);
        VniSrcKey sk6 = new VniSrcKey(42, IpAddress.parse("::ffff:0:c612:2"));
        assertThat(VniSrcKey.decode(sk6.encode())).as("an IPv6 address never reads as an IPv4 one").isEqualTo(sk6);
        assertThat(sk6.encode()).isNotEqualTo(sk.encode());
        assertThat(HexFormat.of().formatHex(new NeighEntry(Mac.parse("aa:bb:cc:dd:ee:ff"), 0).encode()))
                .isEqualTo("aabbccddeeff0000");
        byte[] ip6 = new byte[16];
        ip6[15] = 1;
        Neigh6Key k6 = new Neigh6Key(7, ip6);
        assertThat(Neigh6Key.decode(k6.encode())).isEqualTo(k6);
        assertThat(MapCodec.u16(4789)).containsExactly(0xb5, 0x12);
        assertThat(MapCodec.u16(MapCodec.u16(8472))).isEqualTo(8472);
        assertThat(MapCodec.u32(MapCodec.u32(-1))).isEqualTo(-1);
        for (var r : List.of(new PortCfg(1, 0), new VniIdxKey(1, 2), new FloodDst(null, 0))) {
            assertThat(r).isNotNull();
        }
    }

    @Test
    void statsSumOverCpus() {
        List<byte[]> perCpu = new ArrayList<>();
        for (int cpu = 0; cpu < 3; cpu++) {
            long[] c = new long[VniStats.FIELDS.size()];
            for (int i = 0; i < c.length; i++) {
                c[i] = (long) (cpu + 1) * (i + 1);
            }
            perCpu.add(new VniStats(c).encode());
        }
        VniStats s = VniStats.sum(perCpu);
        assertThat(s.get("rx_packets")).isEqualTo(6);
        assertThat(s.get("drop_redirect")).isEqualTo(6 * (VniStats.FIELDS.indexOf("drop_redirect") + 1))
                .isEqualTo(s.drop(DropReason.REDIRECT));
        assertThat(s.pass(PassReason.UNKNOWN_VNI)).isEqualTo(6 * (VniStats.FIELDS.indexOf("pass_unknown_vni") + 1));
        assertThat(s.asMap()).hasSize(VniStats.FIELDS.size())
                .containsEntry("drop_truncated", 6L * (VniStats.FIELDS.indexOf("drop_truncated") + 1))
                .containsEntry("events_lost", 6L * VniStats.FIELDS.size());
        assertThatThrownBy(() -> s.get("nope")).isInstanceOf(IllegalArgumentException.class);
        for (DropReason r : DropReason.values()) {
            assertThat(VniStats.offset(r.counter())).isEqualTo(VniStats.offset(r));
        }
        for (PassReason r : PassReason.values()) {
            assertThat(VniStats.offset(r.counter())).isEqualTo(VniStats.offset(r));
        }
    }

    @Test
    void eventBytes() {
        XvtepEvent e = new XvtepEvent(XvtepEvent.LEARN, 42, Mac.parse("02:00:00:00:00:05"),
                IpAddress.parse("198.18.0.2"), 0, Ipv4.ANY, 99);
        assertThat(HexFormat.of().formatHex(e.encode())).isEqualTo("01000000" + "2a000000" + "020000000005" + "0000"
                + V4MAPPED + "c6120002" + "00000000" + "00000000" + "6300000000000000" + "00".repeat(16));
        assertThat(XvtepEvent.decode(e.encode())).isEqualTo(e);
        XvtepEvent learn6 = new XvtepEvent(XvtepEvent.LEARN, 42, Mac.parse("02:00:00:00:00:05"),
                IpAddress.parse("2001:db8::2"), 0, Ipv4.ANY, 99);
        assertThat(XvtepEvent.decode(learn6.encode())).isEqualTo(learn6);
        XvtepEvent miss6 = new XvtepEvent(XvtepEvent.L3MISS, 42, Mac.ZERO, null, 0, Ipv4.ANY, 7,
                io.xvtep.model.IpAddress.parse("fd00::21"));
        assertThat(HexFormat.of().formatHex(miss6.encode())).endsWith("fd000000000000000000000000000021");
        assertThat(XvtepEvent.decode(miss6.encode())).isEqualTo(miss6);
        assertThat(XvtepEvent.decode(java.nio.ByteBuffer.wrap(e.encode()))).isEqualTo(e);
        assertThat(e.typeName()).isEqualTo("learn");
    }

    @Test
    void shortBuffersAreRejected() {
        assertThatThrownBy(() -> VniCfg.decode(new byte[VniCfg.SIZE - 1])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FdbValue.decode(new byte[3])).isInstanceOf(IllegalArgumentException.class);
    }
}
