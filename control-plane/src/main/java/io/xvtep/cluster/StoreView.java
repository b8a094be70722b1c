package io.xvtep.cluster;

import io.xvtep.cluster.Keys.Ep;
import io.xvtep.cluster.Keys.EndpointKey;
import io.xvtep.cluster.Keys.NodeKey;
import io.xvtep.cluster.Keys.VniKey;
import io.xvtep.cluster.StoreRecords.EndpointRecord;
import io.xvtep.cluster.StoreRecords.NodeRecord;
import io.xvtep.cluster.StoreRecords.VniRecord;
import io.xvtep.model.IpAddress;
import io.xvtep.model.IpAddress.Family;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The agent's mirror of the store (everything under the key prefix), with the indexes the
 * programming needs. Pure data: no etcd, no maps, so that it is unit-testable. Every change
 * is guarded by mod revision: an event older than what the mirror holds for a key is ignored,
 * so replaying a list and a watch over each other never goes backwards.
 *
 * Which revision of each key is held, and how far the stream has delivered, is kept by {@link Revisions}.
 */
public final class StoreView {

    /**
     * A node key: {@code lease} is the node's lease, {@code prevLease} the one its key was under before
     * (its claims are re-put under the new one right after: until then they stand under the old).
     */
    public record Node(IpAddress vtep, IpAddress vtep6, Set<Integer> vnis, long rev, long lease, long prevLease) {
        public NodeRecord record() {
            return new NodeRecord(vtep, vtep6, List.copyOf(vnis));
        }

        /** The node's VTEP of family {@code f} (null: none). */
        public IpAddress vtep(Family f) {
            return record().vtep(f);
        }
    }

    public record Claim(String node, IpAddress vtep, List<InetAddress> ips, long rev, long lease) {
        public EndpointRecord record() {
            return new EndpointRecord(node, vtep, ips);
        }
    }

    /** What changed: endpoints, nodes and VNIs to look at again. */
    public static final class Dirty {
        public final Set<Ep> eps = new HashSet<>();
        public final Set<Integer> floodVnis = new HashSet<>();
        public final Set<Integer> vnisPut = new HashSet<>();
        public final Set<Integer> vnisDeleted = new HashSet<>();
        public final Set<String> nodes = new HashSet<>();

        public boolean isEmpty() {
            return eps.isEmpty() && floodVnis.isEmpty() && vnisPut.isEmpty() && vnisDeleted.isEmpty() && nodes.isEmpty();
        }
    }

    /** Told of every key or value that is not a valid record of the schema (skipped, never applied). */
    public interface Rejects {
        void rejected(String reason, String key, String why);
    }

    /** Highest VNI (24 bits); 0 is not a VNI. */
    static final int MAX_VNI = 0xFF_FFFF;

    private final Keys keys;
    private final String self;
    private final Rejects rejects;
    private final LeaseTtls leases;
    private final RecordChecks checks;
    private final Revisions revs = new Revisions();
    private final Map<String, Node> nodes = new HashMap<>();
    private final Map<Integer, VniRecord> vnis = new HashMap<>();
    /** VNI -> mod revision of its tombstone (deleted through some agent's API, bounded life). */
    private final Map<Integer, Long> tombstones = new HashMap<>();
    /**
     * Ep -> its one {@link Claim}, or a {@code Map<String, Claim>} by node when several nodes claim it: a
     * MAC almost always has one claim, and a map per endpoint was ~100 bytes of each remote endpoint's heap.
     */
    private final Map<Ep, Object> claims = new HashMap<>();
    /** node -> its claims; the record's name is the one String of that name every Claim shares. */
    private final Map<String, NodeClaims> claimsByNode = new HashMap<>();

    private record NodeClaims(String name, Set<Ep> eps) {
    }

    public StoreView(Keys keys) {
        this(keys, null, null, (reason, key, why) -> {
        }, 0);
    }

    /**
     * {@code self}/{@code selfVteps}: this node (no other node may claim its addresses); {@code leaseTtlMax}:
     * the longest TTL another node's lease may have, in seconds (0: not checked).
     */
    public StoreView(Keys keys, String self, java.util.Collection<IpAddress> selfVteps, Rejects rejects,
            long leaseTtlMax) {
        this.keys = keys;
        this.self = self;
        this.rejects = rejects;
        this.leases = new LeaseTtls(leaseTtlMax);
        this.checks = new RecordChecks(self, selfVteps == null ? Set.of() : Set.copyOf(selfVteps));
    }

    /** The leases of other nodes' keys, and which of them to look up. */
    LeaseTtls leases() {
        return leases;
    }

    /** The mod revisions and leases of the keys, and how far the stream has delivered. */
    public Revisions revisions() {
        return revs;
    }

    /** Current mod revision of {@code key} (0: absent). */
    public long rev(String key) {
        return revs.rev(key);
    }

    public Set<String> keys() {
        return revs.keys();
    }

    public Map<String, Node> nodes() {
        return nodes;
    }

    public Map<Integer, VniRecord> vnis() {
        return vnis;
    }

    public Map<Integer, Long> tombstones() {
        return tombstones;
    }

    @SuppressWarnings("unchecked")
    public Map<String, Claim> claims(Ep ep) {
        Object o = claims.get(ep);
        return o == null ? Map.of() : o instanceof Claim c ? Map.of(c.node(), c) : (Map<String, Claim>) o;
    }

    public Set<Ep> endpoints() {
        return claims.keySet();
    }

    public Set<Ep> claimedBy(String node) {
        NodeClaims n = claimsByNode.get(node);
        return n == null ? Set.of() : n.eps();
    }

    /**
     * The winning claim among those attached to their node's live lease ({@link #attached}): the
     * frozen node's while it still claims, else the highest revision. A claim of a node without a node
     * key, or under a lease not its node's, points nowhere and wins nothing.
     */
    public Claim winner(Ep ep, String frozenOn) {
        Map<String, Claim> m = claims(ep);
        if (frozenOn != null && m.containsKey(frozenOn) && attached(m.get(frozenOn))) {
            return m.get(frozenOn);
        }
        Claim best = null;
        for (Claim c : m.values()) {
            if (attached(c) && (best == null || c.rev() > best.rev())) {
                best = c;
            }
        }
        return best;
    }

    /** VTEPs (of the VNI's family {@code f}) of the nodes other than {@code self} with ports in {@code vni}, sorted. */
    public List<IpAddress> floodOf(int vni, String self, Family f) {
        TreeSet<IpAddress> s = new TreeSet<>();
        nodes.forEach((name, n) -> {
            IpAddress a = n.vtep(f);
            if (!name.equals(self) && n.vnis().contains(vni) && a != null) {
                s.add(a);
            }
        });
        return new ArrayList<>(s);
    }

    /**
     * True when {@code c} is this node's, or under its node's lease (the node key's current one, or the one
     * before while the node re-puts its claims): a node's claims live and die with its lease, so a claim
     * written under some other lease (one the node keeps alive elsewhere, or a long one) is not its node's.
     */
    public boolean attached(Claim c) {
        if (c.node().equals(self)) {
            return true;
        }
        Node n = nodes.get(c.node());
        return n != null && c.lease() != 0 && (c.lease() == n.lease() || c.lease() == n.prevLease())
                && !leases.tooLong(c.lease());
    }

    /**
     * etcd answered that {@code lease} is granted {@code ttl} seconds (-1: gone). Beyond the maximum, the
     * nodes whose key is under it are not live: each node key is refused ({@code lease_ttl}) and dropped
     * here, with everything that pointed at the node; the key put again under that lease is refused at
     * once, under a new lease checked again.
     */
    public void leaseChecked(long lease, long ttl, Dirty d) {
        leases.checked(lease, ttl);
        if (!leases.tooLong(lease)) {
            return;
        }
        List<String> under = new ArrayList<>();
        nodes.forEach((name, n) -> {
            if (n.lease() == lease && !name.equals(self)) {
                under.add(name);
            }
        });
        for (String name : under) {
            rejects.rejected("lease_ttl", keys.node(name), tooLong(lease));
            delete(keys.node(name), 0, d);
        }
    }

    /** Bounds the leases known to about the live nodes' (checked only when past the bound: O(1) mostly). */
    private void pruneLeases() {
        if (leases.known() > 2 * nodes.size() + LeaseTtls.KEPT_TOO_LONG) {
            Set<Long> inUse = new HashSet<>();
            nodes.values().forEach(n -> {
                inUse.add(n.lease());
                inUse.add(n.prevLease());
            });
            leases.prune(inUse);
        }
    }

    private String tooLong(long lease) {
        return "lease_ttl: the node key's lease " + Long.toHexString(lease) + " is granted more than "
                + leases.max() + " s (--etcd-lease-ttl-max): its endpoints would outlive the node that long";
    }

    /** The VTEP a claim points at: its node's current address of family {@code f} (null: no key, or none of it). */
    public IpAddress vtepOf(Claim c, Family f) {
        Node n = nodes.get(c.node());
        return n != null ? n.vtep(f) : null;
    }

    /** Puts {@code key}; false (and nothing changes) when the mirror already holds this or a newer revision. */
    public boolean put(String key, String value, long rev, long lease, Dirty d) {
        revs.seen(rev);
        var parsed = keys.parse(key);
        if (parsed.isEmpty()) {
            if (key.startsWith(keys.prefix())) {
                rejects.rejected("key", key, "not a key of layout " + Keys.VERSION);
            }
            return false;
        }
        if (revs.stale(key, rev)) {
            return false;
        }
        Keys.Parsed pk = parsed.get();
        Object rec;
        String reason;
        String why;
        try {
            rec = pk instanceof NodeKey ? NodeRecord.decode(value)
                    : pk instanceof VniKey ? VniRecord.decode(value)
                    : pk instanceof EndpointKey ? EndpointRecord.decode(value)
                    : StoreRecords.TombstoneRecord.decode(value);
            why = checks.why(pk, rec);
            reason = why == null ? null : why.substring(0, why.indexOf(':'));
        } catch (StoreRecords.VersionException e) {
            rec = null;
            reason = "version";
            why = e.getMessage();
        } catch (RuntimeException e) {
            rec = null;
            reason = "value";
            why = e.getMessage();
        }
        boolean leased = pk instanceof NodeKey || pk instanceof EndpointKey;
        if (reason == null && leased && lease == 0) {
            reason = "lease";
            why = "lease: a node key or claim must be under its node's lease (it was written without one)";
        }
        if (reason == null && pk instanceof NodeKey && !own(pk) && leases.tooLong(lease)) {
            reason = "lease_ttl";
            why = tooLong(lease);
        }
        if (reason != null) {
            // Not a valid record: skipped, what the key held before stands (a bad VNI value must not
            // delete the VNI everywhere). This node's own keys are dropped instead: they are put again.
            // So is a node key or claim rewritten without a lease: it no longer expires with its lease.
            rejects.rejected(reason, key, why);
            return (own(pk) || reason.startsWith("lease")) && delete(key, rev, d);
        }
        Node before = pk instanceof NodeKey bk ? nodes.get(bk.node()) : null;
        removeIndexes(key, pk, d);
        revs.put(key, rev, lease);
        if (pk instanceof NodeKey nk && rec instanceof NodeRecord r) {
            long prevLease = before == null ? 0 : before.lease() != lease ? before.lease() : before.prevLease();
            Node n = new Node(r.vtep(), r.vtep6(), Set.copyOf(r.vnis()), rev, lease, prevLease);
            nodes.put(nk.node(), n);
            if (!own(pk)) {
                leases.want(lease); // counts at once: refused when the lookup finds the lease too long
            }
            d.floodVnis.addAll(n.vnis());
            d.nodes.add(nk.node());
            d.eps.addAll(claimedBy(nk.node()));
        } else if (pk instanceof VniKey vk && rec instanceof VniRecord r) {
            vnis.put(vk.vni(), r);
            d.vnisPut.add(vk.vni());
        } else if (pk instanceof Keys.TombstoneKey tk) {
            tombstones.put(tk.vni(), rev);
        } else if (pk instanceof EndpointKey ek && rec instanceof EndpointRecord r) {
            // the key names the claiming node; the value's own "node" field is informative
            NodeClaims by = claimsByNode.computeIfAbsent(ek.node(), k -> new NodeClaims(k, new HashSet<>()));
            by.eps().add(ek.ep());
            // shared instances, not one copy per claim: the node's name, and its VTEP when the claim names it
            Node n = nodes.get(by.name());
            IpAddress vtep = n == null || r.vtep() == null ? r.vtep() : r.vtep().equals(n.vtep()) ? n.vtep()
                    : r.vtep().equals(n.vtep6()) ? n.vtep6() : r.vtep();
            addClaim(ek.ep(), new Claim(by.name(), vtep, r.ips(), rev, lease));
            d.eps.add(ek.ep());
        }
        return true;
    }

    private boolean own(Keys.Parsed pk) {
        return self != null && (pk instanceof NodeKey nk && nk.node().equals(self)
                || pk instanceof EndpointKey ek && ek.node().equals(self));
    }

    /** Deletes {@code key} at revision {@code rev} (0: unconditionally, as a re-list found it gone). */
    public boolean delete(String key, long rev, Dirty d) {
        revs.seen(rev);
        var parsed = keys.parse(key);
        long cur = rev(key);
        if (parsed.isPresent()) {
            revs.deletedAt(key, rev); // even when absent here: a lookup in flight may still hold it
        }
        if (parsed.isEmpty() || cur == 0 || (rev != 0 && cur > rev)) {
            return false;
        }
        removeIndexes(key, parsed.get(), d);
        revs.remove(key);
        return true;
    }

    private void removeIndexes(String key, Keys.Parsed p, Dirty d) {
        if (!revs.has(key)) {
            return;
        }
        if (p instanceof NodeKey nk) {
                Node old = nodes.remove(nk.node());
                if (old != null) {
                    d.floodVnis.addAll(old.vnis());
                    pruneLeases();
                }
                d.nodes.add(nk.node());
                d.eps.addAll(claimedBy(nk.node()));
        } else if (p instanceof VniKey vk) {
                vnis.remove(vk.vni());
                d.vnisDeleted.add(vk.vni());
        } else if (p instanceof Keys.TombstoneKey tk) {
                tombstones.remove(tk.vni());
        } else if (p instanceof EndpointKey ek) {
                removeClaim(ek.ep(), ek.node());
                NodeClaims by = claimsByNode.get(ek.node());
                if (by != null) {
                    by.eps().remove(ek.ep());
                    if (by.eps().isEmpty()) {
                        claimsByNode.remove(ek.node());
                    }
                }
                d.eps.add(ek.ep());
        }
    }

    @SuppressWarnings("unchecked")
    private void addClaim(Ep ep, Claim c) {
        Object cur = claims.get(ep);
        if (cur == null || cur instanceof Claim one && one.node().equals(c.node())) {
            claims.put(ep, c);
        } else if (cur instanceof Claim one) {
            Map<String, Claim> m = new HashMap<>(4);
            m.put(one.node(), one);
            m.put(c.node(), c);
            claims.put(ep, m);
        } else {
            ((Map<String, Claim>) cur).put(c.node(), c);
        }
    }

    @SuppressWarnings("unchecked")
    private void removeClaim(Ep ep, String node) {
        Object cur = claims.get(ep);
        if (cur instanceof Claim one) {
            if (one.node().equals(node)) {
                claims.remove(ep);
            }
        } else if (cur instanceof Map<?, ?> any) {
            Map<String, Claim> m = (Map<String, Claim>) any;
            m.remove(node);
            if (m.size() == 1) {
                claims.put(ep, m.values().iterator().next());
            } else if (m.isEmpty()) {
                claims.remove(ep);
            }
        }
    }
}
