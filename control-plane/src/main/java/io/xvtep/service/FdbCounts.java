package io.xvtep.service;

import io.xvtep.datapath.FdbKey;
import io.xvtep.datapath.FdbValue;
import io.xvtep.model.FdbType;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * FDB entries by type (flood-list entries count as static) for {@code xvtep_fdb_entries}: the reaper's
 * walk, kept exact between walks for what the services write themselves. The walk holds no lock and a
 * million entries take seconds, so a walk that overlapped a write (a bulk load) counted part of it: its
 * static and cluster counts are then not taken, the kept ones (walk + the writes' deltas) are. Learned and
 * local entries are the datapath's (learning, moves, ageing): they are always the last walk's.
 * All but {@link #get} run under the services' lock.
 */
final class FdbCounts {

    private static final FdbType[] TYPES = FdbType.values();

    private final long[] counts = new long[TYPES.length];
    /** Whether a walk was taken and no write since changed entries without saying which (a VNI deleted). */
    private boolean known;
    /** Writes so far: a walk during which this moved was disturbed by one. */
    private volatile long writes;
    private volatile Map<FdbType, Long> published;

    /** Taken before a walk starts (no lock: a write that follows is seen at {@link #walked}). */
    long writes() {
        return writes;
    }

    /** A walk's counts, the walk started at {@code writesBefore}. */
    void walked(Map<FdbType, Long> walk, long writesBefore) {
        boolean undisturbed = writes == writesBefore;
        for (FdbType t : TYPES) {
            boolean datapaths = t == FdbType.LEARNED || t == FdbType.LOCAL;
            if (datapaths || undisturbed || !known) {
                counts[t.ordinal()] = walk.getOrDefault(t, 0L);
            }
        }
        known = true;
        publish();
    }

    /** One entry written ({@code now}) or deleted ({@code now} null) over {@code old} (null: none). */
    void changed(FdbValue old, FdbValue now) {
        count(old, now);
        publish();
    }

    /** A batch written over {@code previous} (the keys it had). */
    void changed(Map<FdbKey, FdbValue> previous, Map<FdbKey, FdbValue> batch) {
        batch.forEach((k, now) -> count(previous.get(k), now));
        publish();
    }

    /** Flood destinations added (> 0) or removed (< 0). */
    void flood(int delta) {
        writes++;
        if (known) {
            counts[FdbType.STATIC.ordinal()] += delta;
        }
        publish();
    }

    /** Entries removed wholesale (a VNI, a port's): unknown until the next walk, which is taken as it is. */
    void unknown() {
        writes++;
        known = false;
    }

    /** By type as of the last walk and the writes since; null before the first walk. */
    Map<FdbType, Long> get() {
        return published;
    }

    private void count(FdbValue old, FdbValue now) {
        writes++;
        if (known) {
            if (old != null) {
                counts[FdbService.typeOf(old).ordinal()]--;
            }
            if (now != null) {
                counts[FdbService.typeOf(now).ordinal()]++;
            }
        }
    }

    private void publish() {
        if (!known) {
            return;
        }
        Map<FdbType, Long> m = new EnumMap<>(FdbType.class);
        for (FdbType t : TYPES) {
            m.put(t, Math.max(0, counts[t.ordinal()]));
        }
        published = Collections.unmodifiableMap(m);
    }
}
