package io.xvtep.libbpf;

import static io.xvtep.libbpf.internal.Native.BPF;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import io.xvtep.libbpf.BpfMap.Entry;
import io.xvtep.libbpf.internal.Errno;
import io.xvtep.libbpf.internal.Native;
import io.xvtep.libbpf.internal.Structs;
import jnr.ffi.Pointer;

/**
 * The batch calls of a {@link BpfMap} ({@code bpf_map_lookup_batch}, {@code _update_batch}, {@code _delete_batch}):
 * keys and values packed into native buffers, chunked walks, and the per-element fallbacks for map types or flags the
 * kernel's batch calls refuse. {@link BpfMap} documents them; this holds how they are done.
 */
final class BpfMapBatch {

    private BpfMapBatch() {
    }

    static void forEach(BpfMap map, Consumer<Entry> visit) {
        int fd = map.fd();
        int keySize = map.keySize();
        int rawSize = map.rawValueSize();
        int chunk = Math.max(64, Math.min(map.maxEntries(), 4096));
        Pointer keys = Native.alloc((long) chunk * keySize);
        Pointer values = Native.alloc((long) chunk * rawSize);
        int tokenSize = Math.max(keySize, 8);
        Pointer inBatch = Native.alloc(tokenSize);
        Pointer outBatch = Native.alloc(tokenSize);
        Pointer count = Native.alloc(4);
        Pointer opts = Native.alloc(Structs.BATCH_OPTS_SIZE);
        opts.putLong(0, Structs.BATCH_OPTS_SIZE);
        boolean first = true;
        while (true) {
            count.putInt(0, chunk);
            int r = BPF.bpf_map_lookup_batch(fd, first ? null : inBatch, outBatch, keys, values, count, opts);
            int n = count.getInt(0);
            if (r < 0 && r != -Errno.ENOENT) {
                if (r == -Errno.ENOSPC && n == 0) { // a hash bucket holds more than chunk entries
                    chunk *= 2;
                    keys = Native.alloc((long) chunk * keySize);
                    values = Native.alloc((long) chunk * rawSize);
                    continue;
                }
                if (first && (r == -Errno.ENOTSUPP || r == -Errno.EOPNOTSUPP || r == -Errno.EINVAL)) {
                    forEachByKeys(map, visit);
                    return;
                }
                throw map.fail("bpf_map_lookup_batch", r);
            }
            for (int i = 0; i < n; i++) {
                visit.accept(new Entry(Native.read(keys, (long) i * keySize, keySize),
                        Native.read(values, (long) i * rawSize, rawSize)));
            }
            if (r == -Errno.ENOENT) {
                break;
            }
            inBatch.put(0, Native.read(outBatch, 0, tokenSize), 0, tokenSize);
            first = false;
        }
        Reference.reachabilityFence(opts);
    }

    private static void forEachByKeys(BpfMap map, Consumer<Entry> visit) {
        for (byte[] k : map.keys()) {
            map.lookup(k).ifPresent(v -> visit.accept(new Entry(k, v)));
        }
    }

    static List<byte[]> lookupEach(BpfMap map, List<byte[]> keys) {
        int n = keys.size();
        if (n == 0) {
            return List.of();
        }
        int fd = map.fd();
        int keySize = map.keySize();
        int rawSize = map.rawValueSize();
        Pointer k = packKeys(map, keys);
        Pointer v = Native.alloc((long) n * rawSize);
        boolean[] found = new boolean[n];
        for (int i = 0; i < n; i++) {
            int r = BPF.bpf_map_lookup_elem(fd, k.slice((long) i * keySize, keySize), v.slice((long) i * rawSize, rawSize));
            if (r == 0) {
                found[i] = true;
            } else if (r != -Errno.ENOENT) {
                throw map.fail("bpf_map_lookup_elem", r);
            }
        }
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(found[i] ? Native.read(v, (long) i * rawSize, rawSize) : null);
        }
        Reference.reachabilityFence(k);
        Reference.reachabilityFence(v);
        return out;
    }

    static int update(BpfMap map, List<byte[]> keys, List<byte[]> values, UpdateFlag flag) {
        if (keys.size() != values.size()) {
            throw new IllegalArgumentException(keys.size() + " keys but " + values.size() + " values");
        }
        if (keys.isEmpty()) {
            return 0;
        }
        int n = keys.size();
        int rawSize = map.rawValueSize();
        Pointer k = packKeys(map, keys);
        Pointer v = Native.alloc((long) n * rawSize);
        for (int i = 0; i < n; i++) {
            byte[] value = values.get(i);
            map.checkRawValue(value);
            v.put((long) i * rawSize, value, 0, rawSize);
        }
        int r = 0;
        int done;
        if (flag != UpdateFlag.ANY) {
            int fd = map.fd();
            for (done = 0; done < n; done++) {
                r = BPF.bpf_map_update_elem(fd, keys.get(done), values.get(done), flag.value());
                if (r < 0) {
                    break;
                }
            }
        } else {
            Pointer count = Native.alloc(4);
            count.putInt(0, n);
            Pointer opts = Native.alloc(Structs.BATCH_OPTS_SIZE);
            opts.putLong(0, Structs.BATCH_OPTS_SIZE);
            r = BPF.bpf_map_update_batch(map.fd(), k, v, count, opts);
            done = count.getInt(0);
            Reference.reachabilityFence(opts);
        }
        Reference.reachabilityFence(k);
        Reference.reachabilityFence(v);
        if (r < 0) {
            throw BpfException.of(flag == UpdateFlag.ANY ? "bpf_map_update_batch" : "bpf_map_update_elem",
                    map.name(), -r, done + " of " + n + " elements updated before the failure", List.of(), null);
        }
        return done;
    }

    static int delete(BpfMap map, List<byte[]> keys) {
        if (keys.isEmpty()) {
            return 0;
        }
        int fd = map.fd();
        int n = keys.size();
        int keySize = map.keySize();
        Pointer k = packKeys(map, keys);
        Pointer count = Native.alloc(4);
        Pointer opts = Native.alloc(Structs.BATCH_OPTS_SIZE);
        opts.putLong(0, Structs.BATCH_OPTS_SIZE);
        int deleted = 0;
        int start = 0;
        while (start < n) {
            count.putInt(0, n - start);
            int r = BPF.bpf_map_delete_batch(fd, k.slice((long) start * keySize), count, opts);
            int done = count.getInt(0);
            if (r == 0) {
                deleted += done;
                break;
            }
            if (r == -Errno.ENOENT) { // keys[start + done] is absent: count what went, skip it, go on
                deleted += done;
                start += done + 1;
                continue;
            }
            if (start == 0 && done == 0 && (r == -Errno.ENOTSUPP || r == -Errno.EOPNOTSUPP)) {
                for (byte[] key : keys) {
                    if (map.delete(key)) {
                        deleted++;
                    }
                }
                return deleted;
            }
            throw BpfException.of("bpf_map_delete_batch", map.name(), -r,
                    (deleted + done) + " of " + n + " elements deleted before the failure", List.of(), null);
        }
        Reference.reachabilityFence(k);
        Reference.reachabilityFence(opts);
        return deleted;
    }

    /** The keys, checked, one after the other in native memory (what the batch calls take). */
    private static Pointer packKeys(BpfMap map, List<byte[]> keys) {
        int keySize = map.keySize();
        Pointer k = Native.alloc((long) keys.size() * keySize);
        for (int i = 0; i < keys.size(); i++) {
            byte[] key = keys.get(i);
            map.checkKey(key);
            k.put((long) i * keySize, key, 0, keySize);
        }
        return k;
    }
}
