package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.UpdateFlag;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Learning limits per host, VNI and port (the kernel's maxaddress, the bridge's fdb_max_learned):
 * xvtep_learn_limit (written here only: the limit and how many learned entries are gone) and
 * xvtep_learn_count (written by the datapath only: how many it ever learned). Learned entries in a
 * scope = count - forgotten; the datapath refuses to learn beyond the limit (its defaults when a
 * scope has no entry). The control plane removes learned entries (ageing, flush, delete), so after
 * each walk of the FDB it {@link #reconcile}s: forgotten = the count read before the walk - the
 * entries the walk found. Learns during the walk may be counted twice until the next walk, which
 * errs on the side of refusing, never of exceeding.
 */
public final class LearnBudgets {
    /** enum learn_scope. */
    public enum Scope {
        HOST(Abi.LEARN_SCOPE_HOST, Abi.LEARN_DEFAULT_MAX_HOST),
        VNI(Abi.LEARN_SCOPE_VNI, Abi.LEARN_DEFAULT_MAX_VNI),
        PORT(Abi.LEARN_SCOPE_PORT, Abi.LEARN_DEFAULT_MAX_PORT);

        final int code;
        final int defaultMax;

        Scope(int code, int defaultMax) {
            this.code = code;
            this.defaultMax = defaultMax;
        }

        public int defaultMax() {
            return defaultMax;
        }

        static Scope of(int code) {
            for (Scope s : values()) {
                if (s.code == code) {
                    return s;
                }
            }
            throw new IllegalArgumentException("learn scope " + code);
        }
    }

    /** One budget: the host (id 0), a VNI, or a port by ifindex. */
    public record Key(Scope scope, int id) {
        public static final Key HOST = new Key(Scope.HOST, 0);

        public static Key vni(int vni) {
            return new Key(Scope.VNI, vni);
        }

        public static Key port(int ifindex) {
            return new Key(Scope.PORT, ifindex);
        }

        LearnKey encodeKey() {
            return new LearnKey(scope.code, id);
        }
    }

    /** Learned entries of a scope and its limit (0: none). */
    public record Budget(long learned, long max) {}

    private final BpfMap limits;
    private final BpfMap counts;

    public LearnBudgets(BpfMap limits, BpfMap counts) {
        this.limits = limits;
        this.counts = counts;
    }

    private LearnLimit limit(Key k) {
        return limits.lookup(k.encodeKey().encode()).map(LearnLimit::decode)
                .orElse(new LearnLimit(0, k.scope().defaultMax()));
    }

    /** Sets a scope's limit (0: unlimited), keeping what it has forgotten. */
    public synchronized void setMax(Key k, long max) {
        if (max < 0 || max > 0xffffffffL) {
            throw new IllegalArgumentException("max_learned out of range: " + max);
        }
        limits.update(k.encodeKey().encode(), new LearnLimit(limit(k).forgotten(), max).encode(), UpdateFlag.ANY);
    }

    /** A scope's limit as the datapath applies it. */
    public long max(Key k) {
        return limit(k).max();
    }

    /** Forgets a removed VNI's or port's budget (a new one with the same id starts at zero). */
    public synchronized void remove(Key k) {
        limits.delete(k.encodeKey().encode());
        counts.delete(k.encodeKey().encode());
    }

    /** How many entries the datapath ever learned, per scope: read before a walk of the FDB. */
    public Map<Key, Long> learnedSoFar() {
        Map<Key, Long> m = new HashMap<>();
        for (BpfMap.Entry e : counts.entries()) {
            LearnKey k = LearnKey.decode(e.key());
            m.put(new Key(Scope.of(k.scope()), k.id()), MapCodec.le(e.value()).getLong(0));
        }
        return m;
    }

    /**
     * After a walk of the FDB that found `found` learned entries per scope: forgotten = the count
     * read before the walk - found, so that the datapath's count - forgotten is the walk's number.
     */
    public synchronized void reconcile(Map<Key, Long> before, Map<Key, Long> found) {
        Set<Key> keys = new HashSet<>(before.keySet());
        keys.addAll(found.keySet());
        for (Key k : keys) {
            byte[] key = k.encodeKey().encode();
            Optional<LearnLimit> cur = limits.lookup(key).map(LearnLimit::decode);
            long f = found.getOrDefault(k, 0L);
            if (f == 0 && k.scope() != Scope.HOST) {
                // nothing learned left (aged out, or the port or VNI is gone): the count restarts at zero,
                // so the tables keep only live scopes (port ifindexes keep growing as containers come and go)
                counts.delete(key);
                if (cur.isPresent() && cur.get().forgotten() != 0) {
                    limits.update(key, new LearnLimit(0, cur.get().max()).encode(), UpdateFlag.ANY);
                }
                continue;
            }
            long forgotten = before.getOrDefault(k, 0L) - f;
            if (cur.map(LearnLimit::forgotten).orElse(0L) != forgotten) {
                long max = cur.map(LearnLimit::max).orElse((long) k.scope().defaultMax());
                limits.update(key, new LearnLimit(forgotten, max).encode(), UpdateFlag.ANY);
            }
        }
    }

    /** Learned entries (as of the last reconcile, plus what was learned since) and limit of every scope known. */
    public Map<Key, Budget> budgets() {
        Map<Key, Budget> out = new HashMap<>();
        for (Map.Entry<Key, Long> e : learnedSoFar().entrySet()) {
            LearnLimit l = limit(e.getKey());
            out.put(e.getKey(), new Budget(Math.max(0, e.getValue() - l.forgotten()), l.max()));
        }
        return out;
    }
}
