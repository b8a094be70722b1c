package io.xvtep.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.cluster.Keys.Ep;
import io.xvtep.cluster.StoreView.Dirty;
import io.xvtep.model.IpAddress;
import io.xvtep.model.IpAddress.Family;
import io.xvtep.model.Mac;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class StoreViewTest {

    private final Keys keys = new Keys("/t/");
    private final StoreView v = new StoreView(keys);
    private final Mac mac = Mac.parse("02:00:00:00:01:01");
    private final Ep ep = new Ep(42, mac);

    private static String node(String vtep, int... vnis) {
        StringBuilder sb = new StringBuilder("{\"vtep\":\"" + vtep + "\",\"vnis\":[");
        for (int i = 0; i < vnis.length; i++) {
            sb.append(i > 0 ? "," : "").append(vnis[i]);
        }
        return sb.append("]}").toString();
    }

    private static String claim(String node, String vtep, String... ips) {
        return "{\"node\":\"" + node + "\",\"vtep\":\"" + vtep + "\",\"ips\":[" + String.join(",",
                java.util.Arrays.stream(ips).map(i -> "\"" + i + "\"").toList()) + "]}";
    }

    @Test
    void keyLayoutRoundTrips() {
        assertThat(keys.prefix()).isEqualTo("/t/v2/");
        assertThat(keys.parse(keys.endpoint(42, mac, "h1"))).contains(new Keys.EndpointKey(ep, "h1"));
        assertThat(keys.parse(keys.node("h1"))).contains(new Keys.NodeKey("h1"));
        assertThat(keys.parse(keys.vni(7))).contains(new Keys.VniKey(7));
        assertThat(keys.parse("/t/v2/endpoints/x/y/z")).isEmpty();
        assertThat(keys.parse("/other/v2/nodes/h1")).isEmpty();
        assertThat(Keys.validNode("a/b")).isFalse();
    }

    @Test
    void vniTombstonesAreMirroredAndDoNotTouchTheVnis() {
        assertThat(keys.parse(keys.tombstone(42))).contains(new Keys.TombstoneKey(42));
        Dirty d = new Dirty();
        v.put(keys.vni(42), "{\"vni\":42}", 5, 0, d);
        assertThat(v.delete(keys.vni(42), 6, d)).isTrue();
        Dirty t = new Dirty();
        v.put(keys.tombstone(42), "{\"vni\":42,\"node\":\"h1\"}", 6, 9, t);
        assertThat(v.tombstones()).containsEntry(42, 6L);
        assertThat(v.vnis()).isEmpty();
        assertThat(t.isEmpty()).isTrue();
        // re-created: the create transaction removes the tombstone
        v.put(keys.vni(42), "{\"vni\":42}", 7, 0, t);
        assertThat(v.delete(keys.tombstone(42), 7, t)).isTrue();
        assertThat(v.tombstones()).isEmpty();
        assertThat(v.vnis()).containsKey(42);
    }

    @Test
    void newestRevisionWinsAndStaleEventsAreIgnored() {
        Dirty d = new Dirty();
        v.put(keys.node("h1"), node("198.18.0.11", 42), 1, 1, d);
        v.put(keys.node("h2"), node("198.18.0.12", 42), 2, 2, d);
        v.put(keys.endpoint(42, mac, "h1"), claim("h1", "198.18.0.11", "10.0.0.1"), 10, 1, d);
        v.put(keys.endpoint(42, mac, "h2"), claim("h2", "198.18.0.12"), 12, 2, d);
        assertThat(v.winner(ep, null).node()).isEqualTo("h2");
        // a replayed (older) event changes nothing
        assertThat(v.put(keys.endpoint(42, mac, "h1"), claim("h1", "198.18.0.11"), 9, 1, d)).isFalse();
        assertThat(v.claims(ep).get("h1").ips()).hasSize(1);
        // h1 claims again: newer revision, h1 wins
        v.put(keys.endpoint(42, mac, "h1"), claim("h1", "198.18.0.11"), 13, 1, d);
        assertThat(v.winner(ep, null).node()).isEqualTo("h1");
        // frozen on h2 while h2 still claims it
        assertThat(v.winner(ep, "h2").node()).isEqualTo("h2");
        // a delete older than the key's revision is ignored; a newer one removes it
        assertThat(v.delete(keys.endpoint(42, mac, "h1"), 11, d)).isFalse();
        assertThat(v.delete(keys.endpoint(42, mac, "h1"), 14, d)).isTrue();
        assertThat(v.winner(ep, null).node()).isEqualTo("h2");
        assertThat(v.revisions().revision()).isEqualTo(14);
        // one claim left (kept without a map of its own), then none
        assertThat(v.claims(ep)).containsOnlyKeys("h2");
        assertThat(v.claimedBy("h1")).isEmpty();
        v.put(keys.endpoint(42, Mac.parse("02:00:00:00:01:02"), "h2"), claim("h2", "198.18.0.12"), 15, 2, d);
        assertThat(v.claims(new Ep(42, Mac.parse("02:00:00:00:01:02"))).get("h2").node())
                .as("claims of a node share one name").isSameAs(v.claims(ep).get("h2").node());
        assertThat(v.claims(ep).get("h2").vtep()).as("and its VTEP when they name it")
                .isSameAs(v.nodes().get("h2").vtep());
        assertThat(v.delete(keys.endpoint(42, mac, "h2"), 16, d)).isTrue();
        assertThat(v.claims(ep)).isEmpty();
        assertThat(v.endpoints()).containsExactly(new Ep(42, Mac.parse("02:00:00:00:01:02")));
        assertThat(v.claimedBy("h2")).containsExactly(new Ep(42, Mac.parse("02:00:00:00:01:02")));
    }

    @Test
    void aLookupAnsweredBeforeTheWatchDeliveredADeleteDoesNotBringTheKeyBack() {
        String k = keys.endpoint(42, mac, "h3");
        Dirty d = new Dirty();
        v.put(k, claim("h3", "198.18.0.13"), 10, 3, d);
        v.revisions().streamedTo(10);
        // an l2miss lookup is answered at revision 11 (the claim still there); h3's lease expires at 12
        // and the watch's delete is applied before the lookup's answer is handed over
        assertThat(v.delete(k, 12, d)).isTrue();
        v.revisions().streamedTo(12);
        assertThat(v.revisions().behind(11)).isTrue(); // the answer is skipped: the watch has delivered all of it
        // answers newer than the stream still count
        assertThat(v.revisions().behind(13)).isFalse();
        assertThat(v.claims(ep)).isEmpty();
    }

    @Test
    void aDeletionAheadOfTheStreamOutranksOlderSnapshots() {
        String k = keys.endpoint(42, mac, "h1");
        Dirty d = new Dirty();
        v.put(k, claim("h1", "198.18.0.11"), 10, 1, d);
        v.revisions().streamedTo(12);
        // this node's own delete is acknowledged at 20, before the watch gets there
        assertThat(v.delete(k, 20, d)).isTrue();
        // a re-list taken at 15 still holds the key: it must not come back
        assertThat(v.put(k, claim("h1", "198.18.0.11"), 10, 1, d)).isFalse();
        v.revisions().streamedTo(15);
        assertThat(v.claims(ep)).isEmpty();
        // the watch then delivers the delete; a later put (re-created) is taken
        assertThat(v.delete(k, 20, d)).isFalse();
        v.revisions().streamedTo(20);
        assertThat(v.put(k, claim("h1", "198.18.0.11"), 21, 1, d)).isTrue();
        // a delete the stream delivered leaves no memory behind once passed
        assertThat(v.delete(k, 22, d)).isTrue();
        v.revisions().streamedTo(22);
        assertThat(v.put(k, claim("h1", "198.18.0.11"), 23, 1, d)).isTrue();
    }

    @Test
    void nodeAddressWinsOverTheClaimsAndDrivesFloodLists() {
        Dirty d = new Dirty();
        v.put(keys.node("h1"), node("198.18.0.11", 42), 1, 1, d);
        v.put(keys.node("h2"), node("198.18.0.12", 42, 43), 2, 2, d);
        v.put(keys.endpoint(42, mac, "h2"), claim("h2", "198.18.0.12"), 3, 2, d);
        assertThat(v.floodOf(42, "h1", Family.IPV4)).containsExactly(IpAddress.parse("198.18.0.12"));
        assertThat(v.floodOf(42, "h3", Family.IPV4)).containsExactly(IpAddress.parse("198.18.0.11"), IpAddress.parse("198.18.0.12"));
        Dirty d2 = new Dirty();
        v.put(keys.node("h2"), node("198.18.0.99", 43), 4, 2, d2);
        // the VTEP change re-resolves h2's endpoints and both VNIs' flood lists
        assertThat(d2.eps).containsExactly(ep);
        assertThat(d2.floodVnis).containsExactlyInAnyOrder(42, 43);
        assertThat(v.vtepOf(v.winner(ep, null), Family.IPV4)).isEqualTo(IpAddress.parse("198.18.0.99"));
        assertThat(v.floodOf(42, "h1", Family.IPV4)).isEmpty();
        Dirty d3 = new Dirty();
        v.delete(keys.node("h2"), 5, d3);
        assertThat(d3.floodVnis).containsExactly(43);
        assertThat(v.winner(ep, null)).isNull(); // a node without a node key (dead) wins nothing
    }

    @Test
    void dualStackNodesGiveEachVniTheVtepsOfItsFamily() {
        Dirty d = new Dirty();
        v.put(keys.node("h1"), "{\"vtep\":\"198.18.0.11\",\"vtep6\":\"2001:db8::1\",\"vnis\":[42]}", 1, 1, d);
        v.put(keys.node("h2"), "{\"vtep\":\"2001:db8::2\",\"vnis\":[42]}", 2, 2, d); // IPv6 only
        v.put(keys.node("h3"), node("198.18.0.13", 42), 3, 3, d); // IPv4 only
        assertThat(v.floodOf(42, "h9", Family.IPV4)).containsExactly(IpAddress.parse("198.18.0.11"),
                IpAddress.parse("198.18.0.13"));
        assertThat(v.floodOf(42, "h9", Family.IPV6)).containsExactly(IpAddress.parse("2001:db8::1"),
                IpAddress.parse("2001:db8::2"));
        v.put(keys.endpoint(42, mac, "h1"), claim("h1", "2001:db8::1"), 4, 1, d);
        assertThat(v.vtepOf(v.winner(ep, null), Family.IPV6)).isEqualTo(IpAddress.parse("2001:db8::1"));
        assertThat(v.vtepOf(v.winner(ep, null), Family.IPV4)).isEqualTo(IpAddress.parse("198.18.0.11"));
    }

    @Test
    void invalidDualStackNodeValuesAreRejected() {
        List<String> seen = new java.util.ArrayList<>();
        StoreView s = new StoreView(keys, "h1", List.of(IpAddress.parse("198.18.0.11"), IpAddress.parse("2001:db8::1")),
                (reason, key, why) -> seen.add(reason), 0);
        Dirty d = new Dirty();
        String h2 = keys.node("h2");
        // this node's IPv6 VTEP, in either field
        assertThat(s.put(h2, "{\"vtep\":\"198.18.0.12\",\"vtep6\":\"2001:db8::1\",\"vnis\":[42]}", 1, 2, d)).isFalse();
        assertThat(s.put(h2, "{\"vtep\":\"2001:db8::1\",\"vnis\":[42]}", 2, 2, d)).isFalse();
        // vtep6 only beside an IPv4 vtep, and IPv6 unicast
        assertThat(s.put(h2, "{\"vtep\":\"2001:db8::2\",\"vtep6\":\"2001:db8::3\",\"vnis\":[42]}", 3, 2, d)).isFalse();
        assertThat(s.put(h2, "{\"vtep\":\"198.18.0.12\",\"vtep6\":\"ff05::1\",\"vnis\":[42]}", 4, 2, d)).isFalse();
        assertThat(s.put(h2, "{\"vtep\":\"198.18.0.12\",\"vtep6\":\"198.18.0.13\",\"vnis\":[42]}", 5, 2, d)).isFalse();
        assertThat(s.put(h2, "{\"vtep\":\"::1\",\"vnis\":[42]}", 6, 2, d)).isFalse();
        assertThat(seen).containsOnly("vtep").hasSize(6);
        assertThat(s.put(h2, "{\"vtep\":\"198.18.0.12\",\"vtep6\":\"2001:db8::2\",\"vnis\":[42]}", 7, 2, d)).isTrue();
    }

    @Test
    void mobilityFreezesAfterTooManyMovesAndThaws() {
        Mobility m = new Mobility(5, TimeUnit.SECONDS.toNanos(180));
        long t = 0;
        for (int i = 0; i < 5; i++) {
            assertThat(m.moved(ep, i % 2 == 0 ? "h1" : "h2", t += 1_000_000_000L)).isFalse();
        }
        assertThat(m.moved(ep, "h2", t += 1_000_000_000L)).isTrue();
        assertThat(m.frozenOn(ep, t)).isEqualTo("h2");
        assertThat(m.frozenCount(t)).isEqualTo(1);
        assertThat(m.frozenOn(ep, t + TimeUnit.SECONDS.toNanos(181))).isNull();
        // moves spread wider than the window never freeze
        Mobility slow = new Mobility(5, TimeUnit.SECONDS.toNanos(180));
        for (int i = 0; i < 20; i++) {
            assertThat(slow.moved(ep, "h" + i, i * TimeUnit.SECONDS.toNanos(60))).isFalse();
        }
        assertThat(new Mobility(0, 1).moved(ep, "h1", 0)).isFalse();
    }

    @Test
    void badValuesAreIgnored() {
        Dirty d = new Dirty();
        assertThat(v.put(keys.node("h1"), "not json", 1, 0, d)).isFalse();
        assertThat(v.put(keys.endpoint(42, mac, "h1"), "{\"node\":\"h1\",\"ips\":[\"nope\",\"10.0.0.1\",\"fd00::1\"]}",
                2, 1, d)).isTrue();
        assertThat(v.claims(ep).get("h1").ips()).hasSize(2);
        assertThat(v.claims(ep).get("h1").vtep()).isNull();
        assertThat(List.copyOf(v.keys())).hasSize(1);
    }

    /** Every key family: what is not a valid record is skipped, counted by reason, and undoes an earlier value. */
    @Test
    void invalidKeysAndValuesAreRejectedByReason() {
        List<String> seen = new java.util.ArrayList<>();
        StoreView s = new StoreView(keys, "h1", List.of(IpAddress.parse("198.18.0.11")), (reason, key, why) -> seen.add(reason), 0);
        Dirty d = new Dirty();
        long r = 0;
        String h2 = keys.node("h2");
        assertThat(s.put(h2, node("198.18.0.12", 42), ++r, 2, d)).isTrue();
        // the good value replaced by a bad one: skipped, the node keeps its last valid record
        assertThat(s.put(h2, "{\"v\":1,\"vtep\":\"0.0.0.0\",\"vnis\":[42]}", ++r, 2, d)).isFalse();
        assertThat(s.nodes().get("h2").vtep()).isEqualTo(IpAddress.parse("198.18.0.12"));
        assertThat(s.put(h2, "{\"vtep\":\"127.0.0.1\",\"vnis\":[42]}", ++r, 2, d)).isFalse();
        assertThat(s.put(h2, node("198.18.0.11", 42), ++r, 2, d)).isFalse(); // this node's own address
        assertThat(s.put(h2, "{\"vtep\":\"224.0.0.1\",\"vnis\":[42]}", ++r, 2, d)).isFalse();
        assertThat(s.put(h2, "{\"vtep\":\"198.18.0.12\",\"vnis\":[0]}", ++r, 2, d)).isFalse();
        assertThat(s.put(h2, "not json", ++r, 2, d)).isFalse();
        assertThat(s.put(h2, "{\"v\":2,\"vtep\":\"198.18.0.12\"}", ++r, 2, d)).isFalse();
        assertThat(s.put(h2, "{\"vtep\":\"198.18.0.12\",\"vnis\":[42],\"device\":\"eth0\"}", ++r, 2, d)).isFalse();
        assertThat(s.put(h2, node("198.18.0.12", 43), ++r, 2, d)).isTrue();
        assertThat(s.nodes().get("h2").vnis()).containsExactly(43);
        // this node's own key with a bad value is dropped (the registrar puts it again)
        assertThat(s.put(keys.node("h1"), node("198.18.0.11", 42), ++r, 1, d)).isTrue();
        assertThat(s.put(keys.node("h1"), "{\"vtep\":\"0.0.0.0\",\"vnis\":[42]}", ++r, 1, d)).isTrue();
        assertThat(s.nodes()).doesNotContainKey("h1");
        // VNI keys: the key's VNI and the value's must agree, and a VNI has 24 bits
        assertThat(s.put(keys.vni(42), "{\"vni\":43}", ++r, 0, d)).isFalse();
        assertThat(s.put(keys.vni(0), "{\"vni\":0}", ++r, 0, d)).isFalse();
        assertThat(s.put(keys.vni(42), "{\"vni\":42,\"remote\":\"203.0.113.9\"}", ++r, 0, d)).isFalse();
        assertThat(s.put(keys.vni(42), "{\"vni\":42,\"allowed_src\":\"any\"}", ++r, 0, d)).isFalse();
        assertThat(s.put(keys.vni(42), "{\"vni\":42,\"proxy\":true}", ++r, 0, d)).isTrue();
        assertThat(s.put(keys.vni(42), "{\"vni\":42,\"proxy\":\"off\"}", ++r, 0, d)).isFalse();
        assertThat(s.vnis().get(42).proxy()).isTrue(); // a bad value never deletes the VNI
        s.delete(keys.vni(42), ++r, d);
        assertThat(s.put(keys.tombstone(42), "{\"vni\":41,\"node\":\"h2\"}", ++r, 0, d)).isFalse();
        assertThat(s.vnis()).isEmpty();
        assertThat(s.tombstones()).isEmpty();
        // endpoint claims: a zero or multicast MAC, a claim naming another node, a VTEP not a node's
        Mac zero = Mac.ZERO;
        assertThat(s.put(keys.endpoint(42, zero, "h2"), claim("h2", "198.18.0.12"), ++r, 2, d)).isFalse();
        assertThat(s.put(keys.endpoint(42, Mac.parse("01:00:5e:00:00:01"), "h2"), claim("h2", "198.18.0.12"), ++r, 2, d))
                .isFalse();
        assertThat(s.put(keys.endpoint(42, mac, "h2"), claim("h3", "198.18.0.12"), ++r, 2, d)).isFalse();
        assertThat(s.put(keys.endpoint(42, mac, "h2"), claim("h2", "0.0.0.0"), ++r, 2, d)).isFalse();
        assertThat(s.put(keys.endpoint(42, mac, "h2"), claim("h2", "198.18.0.11"), ++r, 2, d)).isFalse();
        assertThat(s.put(keys.endpoint(0, mac, "h2"), claim("h2", "198.18.0.12"), ++r, 2, d)).isFalse();
        assertThat(s.put(keys.prefix() + "endpoints/h2/42/zz", claim("h2", "198.18.0.12"), ++r, 2, d)).isFalse();
        assertThat(s.put(keys.prefix() + "nodes/h2/extra", node("198.18.0.12", 42), ++r, 2, d)).isFalse();
        assertThat(s.put("/elsewhere/v2/nodes/h9", "not json", ++r, 2, d)).isFalse(); // not ours: not counted
        assertThat(s.endpoints()).isEmpty();
        assertThat(s.put(keys.endpoint(42, mac, "h2"), claim("h2", "198.18.0.12"), ++r, 2, d)).isTrue();
        assertThat(s.winner(ep, null).node()).isEqualTo("h2");
        assertThat(seen).containsExactly("vtep", "vtep", "vtep", "vtep", "value", "value", "version", "value", "vtep",
                "vni", "vni", "value", "value", "value", "vni", "key", "key", "owner", "vtep", "vtep", "key", "key", "key");
    }

    /** A node key or claim must be under its node's lease: lease-less ones are refused, counted, and undo the key. */
    @Test
    void leaseLessNodeKeysAndClaimsAreRefused() {
        List<String> seen = new java.util.ArrayList<>();
        StoreView s = new StoreView(keys, "h1", List.of(IpAddress.parse("198.18.0.11")), (reason, key, why) -> seen.add(reason), 0);
        Dirty d = new Dirty();
        assertThat(s.put(keys.node("h2"), node("198.18.0.12", 42), 1, 0, d)).isFalse();
        assertThat(s.nodes()).isEmpty();
        assertThat(s.put(keys.node("h2"), node("198.18.0.12", 42), 2, 7, d)).isTrue();
        assertThat(s.put(keys.endpoint(42, mac, "h2"), claim("h2", "198.18.0.12"), 3, 0, d)).isFalse();
        assertThat(s.endpoints()).isEmpty();
        assertThat(s.put(keys.endpoint(42, mac, "h2"), claim("h2", "198.18.0.12"), 4, 7, d)).isTrue();
        assertThat(s.winner(ep, null).node()).isEqualTo("h2");
        // rewritten without a lease (so that it would outlive the node's lease): the claim goes, then the node
        Dirty d2 = new Dirty();
        assertThat(s.put(keys.endpoint(42, mac, "h2"), claim("h2", "198.18.0.12"), 5, 0, d2)).isTrue();
        assertThat(s.claims(ep)).isEmpty();
        assertThat(d2.eps).containsExactly(ep);
        assertThat(s.put(keys.node("h2"), node("198.18.0.12", 42), 6, 0, d2)).isTrue();
        assertThat(s.nodes()).isEmpty();
        // VNI definitions carry no lease
        assertThat(s.put(keys.vni(42), "{\"vni\":42}", 7, 0, d2)).isTrue();
        assertThat(seen).containsExactly("lease", "lease", "lease", "lease");
    }

    /**
     * Another node's key under a lease granted more than the maximum (it would keep the node's endpoints
     * everywhere that long after it dies) is not a live node: once etcd answers the lease's TTL, the key is
     * refused ({@code lease_ttl}), its claims win nothing, its flood entries go; put again under that lease
     * it is refused at once; under a new lease within the maximum it is checked again and counts.
     */
    @Test
    void aNodeKeyUnderALeaseLongerThanTheMaximumIsNotALiveNode() {
        List<String> seen = new java.util.ArrayList<>();
        StoreView s = new StoreView(keys, "h1", List.of(IpAddress.parse("198.18.0.11")), (reason, key, why) -> seen.add(reason), 60);
        Dirty d = new Dirty();
        s.put(keys.node("h2"), node("198.18.0.12", 42), 1, 7, d);
        s.put(keys.endpoint(42, mac, "h2"), claim("h2", "198.18.0.12"), 2, 7, d);
        assertThat(s.leases().takeWanted()).containsExactly(7L); // looked up; counts until etcd answers
        assertThat(s.winner(ep, null).node()).isEqualTo("h2");
        Dirty d2 = new Dirty();
        s.leaseChecked(7, 86_400, d2);
        assertThat(s.nodes()).isEmpty();
        assertThat(s.winner(ep, null)).isNull();
        assertThat(s.floodOf(42, "h1", Family.IPV4)).isEmpty();
        assertThat(d2.eps).containsExactly(ep);
        assertThat(d2.floodVnis).containsExactly(42);
        assertThat(seen).containsExactly("lease_ttl");
        // put again under the same lease (its vnis changed): refused at once, no new lookup
        assertThat(s.put(keys.node("h2"), node("198.18.0.12", 42, 43), 3, 7, new Dirty())).isFalse();
        assertThat(s.nodes()).isEmpty();
        assertThat(seen).containsExactly("lease_ttl", "lease_ttl");
        assertThat(s.leases().takeWanted()).isEmpty();
        // under a new lease within the maximum: checked again, live, its claims (re-put under it) count
        s.put(keys.node("h2"), node("198.18.0.12", 42), 4, 8, new Dirty());
        s.put(keys.endpoint(42, mac, "h2"), claim("h2", "198.18.0.12"), 5, 8, new Dirty());
        assertThat(s.leases().takeWanted()).containsExactly(8L);
        Dirty d3 = new Dirty();
        s.leaseChecked(8, 60, d3);
        assertThat(d3.isEmpty()).isTrue();
        assertThat(s.winner(ep, null).node()).isEqualTo("h2");
        assertThat(s.floodOf(42, "h1", Family.IPV4)).containsExactly(IpAddress.parse("198.18.0.12"));
        // this node's own key is never looked up; a failed lookup is asked again
        s.put(keys.node("h1"), node("198.18.0.11", 42), 6, 9, new Dirty());
        s.put(keys.node("h3"), node("198.18.0.13", 42), 7, 10, new Dirty());
        assertThat(s.leases().takeWanted()).containsExactly(10L);
        s.leases().failed(10);
        s.put(keys.node("h3"), node("198.18.0.13", 42, 43), 8, 10, new Dirty());
        assertThat(s.leases().takeWanted()).isEmpty(); // not at every change: once a second
        s.leases().retryFailed();
        assertThat(s.leases().takeWanted()).containsExactly(10L);
        s.leaseChecked(10, -1, new Dirty()); // gone: its key's deletion follows
        assertThat(s.nodes()).containsKey("h3");
        assertThat(seen).containsExactly("lease_ttl", "lease_ttl");
    }

    /** Without a maximum (0) nothing is looked up. */
    @Test
    void leaseTtlsAreNotLookedUpWithoutAMaximum() {
        v.put(keys.node("h2"), node("198.18.0.12", 42), 1, 7, new Dirty());
        assertThat(v.leases().takeWanted()).isEmpty();
    }

    /** A claim counts under its node's lease, or the one before while the node re-puts its claims. */
    @Test
    void aClaimUnderAnotherLeaseThanItsNodesWinsNothing() {
        Dirty d = new Dirty();
        v.put(keys.node("h2"), node("198.18.0.12", 42), 1, 7, d);
        v.put(keys.endpoint(42, mac, "h2"), claim("h2", "198.18.0.12"), 2, 99, d); // a lease of its own
        assertThat(v.winner(ep, null)).isNull();
        v.put(keys.endpoint(42, mac, "h2"), claim("h2", "198.18.0.12"), 3, 7, d);
        assertThat(v.winner(ep, null).node()).isEqualTo("h2");
        // the node takes a new lease (a restart): its claims under the old one stand until put again
        Dirty d2 = new Dirty();
        v.put(keys.node("h2"), node("198.18.0.12", 42), 4, 8, d2);
        assertThat(d2.eps).contains(ep);
        assertThat(v.winner(ep, null).node()).isEqualTo("h2");
        v.put(keys.node("h2"), node("198.18.0.12", 42), 5, 8, d2); // same lease: the previous one stays known
        assertThat(v.nodes().get("h2").prevLease()).isEqualTo(7);
        v.put(keys.node("h2"), node("198.18.0.12", 42), 6, 9, d2); // two leases on: the claim is stale
        assertThat(v.winner(ep, null)).isNull();
    }

    @Test
    void mobilityHistoryIsPrunedAndBounded() {
        long w = TimeUnit.SECONDS.toNanos(180);
        Mobility m = new Mobility(5, w);
        for (int i = 0; i < Mobility.MAX_TRACKED + 100; i++) {
            m.moved(new Ep(42, Mac.parse(String.format("02:00:00:%02x:%02x:%02x", i >> 16, (i >> 8) & 255, i & 255))),
                    "h2", i);
        }
        assertThat(m.tracked()).isEqualTo(Mobility.MAX_TRACKED);
        m.moved(ep, "h3", w);
        m.prune(w + Mobility.MAX_TRACKED + 1_000);
        assertThat(m.tracked()).isEqualTo(1); // only the MAC that moved within the window
        m.prune(3 * w);
        assertThat(m.tracked()).isZero();
    }
}
