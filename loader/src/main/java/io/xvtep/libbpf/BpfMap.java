package io.xvtep.libbpf;

import static io.xvtep.libbpf.internal.Native.BPF;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import io.xvtep.libbpf.internal.Errno;
import io.xvtep.libbpf.internal.Native;
import io.xvtep.libbpf.internal.Structs;
import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;

/**
 * A BPF map: either one of a {@link BpfObject} (its fd belongs to the object) or one opened with
 * {@link #openPinned(Path)} (its fd belongs to this object and is closed by {@link #close()}).
 *
 * <p>Keys and values are the raw bytes the kernel sees (native byte order, little-endian on x86_64). For
 * per-CPU maps ({@link #isPerCpu()}) a "raw" value as used by {@link #lookup}, {@link #update},
 * {@link #entries()} and the batch calls is all CPUs' values concatenated, each padded to a multiple of 8
 * bytes ({@link #perCpuStride()}), for {@link Net#possibleCpus()} CPUs; {@link #lookupPerCpu} and
 * {@link #updatePerCpu} split/join that for you. Map operations are thread-safe (each is one bpf(2) call).
 */
public final class BpfMap implements AutoCloseable {
    public static final int BPF_MAP_TYPE_HASH = 1, BPF_MAP_TYPE_ARRAY = 2, BPF_MAP_TYPE_PROG_ARRAY = 3,
            BPF_MAP_TYPE_PERCPU_HASH = 5, BPF_MAP_TYPE_PERCPU_ARRAY = 6, BPF_MAP_TYPE_LRU_HASH = 9,
            BPF_MAP_TYPE_LRU_PERCPU_HASH = 10, BPF_MAP_TYPE_LPM_TRIE = 11, BPF_MAP_TYPE_DEVMAP = 14,
            BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE = 21, BPF_MAP_TYPE_DEVMAP_HASH = 25, BPF_MAP_TYPE_RINGBUF = 27;

    /** A key and its (raw) value. */
    public record Entry(byte[] key, byte[] value) {
        @Override
        public String toString() {
            return "Entry[" + HexFormat.of().formatHex(key) + " -> " + HexFormat.of().formatHex(value) + "]";
        }
    }

    private final BpfObject owner;   // non-null: fd owned by the object
    private final Pointer mapPtr;
    private volatile int ownFd;      // when owner == null; -1 once closed
    private final String name;
    private final int type;
    private final int keySize;
    private final int valueSize;
    private volatile int maxEntries; // settable on an object's map until the object is loaded
    private final int flags;
    private final boolean perCpu;

    BpfMap(BpfObject owner, Pointer mapPtr) {
        this.owner = owner;
        this.mapPtr = mapPtr;
        this.ownFd = -1;
        this.name = BPF.bpf_map__name(mapPtr);
        this.type = BPF.bpf_map__type(mapPtr);
        this.keySize = BPF.bpf_map__key_size(mapPtr);
        this.valueSize = BPF.bpf_map__value_size(mapPtr);
        this.maxEntries = BPF.bpf_map__max_entries(mapPtr);
        this.flags = BPF.bpf_map__map_flags(mapPtr);
        this.perCpu = isPerCpuType(type);
    }

    private BpfMap(int fd, String name, int type, int keySize, int valueSize, int maxEntries, int flags) {
        this.owner = null;
        this.mapPtr = null;
        this.ownFd = fd;
        this.name = name;
        this.type = type;
        this.keySize = keySize;
        this.valueSize = valueSize;
        this.maxEntries = maxEntries;
        this.flags = flags;
        this.perCpu = isPerCpuType(type);
    }

    static boolean isPerCpuType(int type) {
        return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY
                || type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
    }

    /** Opens a pinned map ({@code bpf_obj_get}); name, type and sizes come from the kernel. */
    public static BpfMap openPinned(Path path) {
        Objects.requireNonNull(path, "path");
        Native.init();
        int fd = BPF.bpf_obj_get(path.toString());
        if (fd < 0) {
            throw BpfException.of("bpf_obj_get", path.toString(), -fd);
        }
        Pointer info = Native.alloc(Structs.MAP_INFO_SIZE);
        IntByReference len = new IntByReference(Structs.MAP_INFO_SIZE);
        int r = BPF.bpf_obj_get_info_by_fd(fd, info, len);
        if (r < 0) {
            Native.LIBC.close(fd);
            throw BpfException.of("bpf_obj_get_info_by_fd", path.toString(), -r);
        }
        String name = info.getString(Structs.MI_NAME, Structs.OBJ_NAME_LEN, StandardCharsets.UTF_8);
        return new BpfMap(fd, name, info.getInt(Structs.MI_TYPE), info.getInt(Structs.MI_KEY_SIZE),
                info.getInt(Structs.MI_VALUE_SIZE), info.getInt(Structs.MI_MAX_ENTRIES), info.getInt(Structs.MI_MAP_FLAGS));
    }

    /**
     * {@code bpf_map__set_max_entries}: sizes an object's map before {@link BpfObject#load()} (a pinned map
     * is reused only if it has this size: libbpf refuses one that differs).
     */
    public void setMaxEntries(int n) {
        if (owner == null) {
            throw new IllegalStateException("map " + name + " is not an object's map: its size is fixed");
        }
        owner.checkOpen();
        if (owner.isLoaded()) {
            throw new IllegalStateException("map " + name + ": bpf object " + owner.name() + " is already loaded");
        }
        int r = BPF.bpf_map__set_max_entries(mapPtr, n);
        if (r < 0) {
            throw BpfException.of("bpf_map__set_max_entries", name, -r);
        }
        maxEntries = BPF.bpf_map__max_entries(mapPtr);
    }

    /** Map name (for pinned maps the kernel's copy, at most 15 characters). */
    public String name() {
        return name;
    }

    /** {@code enum bpf_map_type} value, e.g. {@link #BPF_MAP_TYPE_HASH}. */
    public int type() {
        return type;
    }

    public int keySize() {
        return keySize;
    }

    /** Value size of one element (for per-CPU maps: of one CPU's value). */
    public int valueSize() {
        return valueSize;
    }

    public int maxEntries() {
        return maxEntries;
    }

    /** map_flags (BPF_F_NO_PREALLOC, ...). */
    public int flags() {
        return flags;
    }

    public boolean isPerCpu() {
        return perCpu;
    }

    /** Bytes per CPU in a raw per-CPU value: valueSize rounded up to 8. */
    public int perCpuStride() {
        return (valueSize + 7) & ~7;
    }

    /** Size of a raw value: valueSize, or perCpuStride * possible CPUs for per-CPU maps. */
    public int rawValueSize() {
        return perCpu ? perCpuStride() * Net.possibleCpus() : valueSize;
    }

    /** The map fd (for object maps: valid once the object is loaded). */
    public int fd() {
        if (owner != null) {
            owner.checkOpen();
            int fd = BPF.bpf_map__fd(mapPtr);
            if (fd < 0) {
                throw new IllegalStateException("map " + name + " has no fd: bpf object " + owner.name()
                        + " is not loaded");
            }
            return fd;
        }
        int fd = ownFd;
        if (fd < 0) {
            throw new IllegalStateException("map " + name + " is closed");
        }
        return fd;
    }

    /** Kernel map id. */
    public int id() {
        Pointer info = Native.alloc(Structs.MAP_INFO_SIZE);
        IntByReference len = new IntByReference(Structs.MAP_INFO_SIZE);
        int r = BPF.bpf_obj_get_info_by_fd(fd(), info, len);
        if (r < 0) {
            throw fail("bpf_obj_get_info_by_fd", r);
        }
        return info.getInt(Structs.MI_ID);
    }

    BpfException fail(String op, int ret) {
        return BpfException.of(op, name, -ret);
    }

    void checkKey(byte[] key) {
        Objects.requireNonNull(key, "key");
        if (key.length != keySize) {
            throw new IllegalArgumentException("map " + name + ": key is " + key.length + " bytes, expected "
                    + keySize);
        }
    }

    void checkRawValue(byte[] value) {
        Objects.requireNonNull(value, "value");
        int expected = rawValueSize();
        if (value.length != expected) {
            throw new IllegalArgumentException("map " + name + ": value is " + value.length + " bytes, expected "
                    + expected + (perCpu ? " (per-CPU map: use updatePerCpu, or " + Net.possibleCpus()
                    + " CPUs x " + perCpuStride() + " bytes)" : ""));
        }
    }

    /** {@code bpf_map_lookup_elem}; empty if the key is absent (ENOENT). Per-CPU maps: the raw value. */
    public Optional<byte[]> lookup(byte[] key) {
        checkKey(key);
        byte[] value = new byte[rawValueSize()];
        int r = BPF.bpf_map_lookup_elem(fd(), key, value);
        if (r == -Errno.ENOENT) {
            return Optional.empty();
        }
        if (r < 0) {
            throw fail("bpf_map_lookup_elem", r);
        }
        return Optional.of(value);
    }

    /**
     * {@code bpf_map_update_elem}. NOEXIST on a present key fails with EEXIST, EXIST on an absent key with
     * ENOENT; a full hash map gives E2BIG.
     */
    public void update(byte[] key, byte[] value, UpdateFlag flag) {
        checkKey(key);
        checkRawValue(value);
        int r = BPF.bpf_map_update_elem(fd(), key, value, flag.value());
        if (r < 0) {
            throw fail("bpf_map_update_elem", r);
        }
    }

    /** {@code bpf_map_delete_elem}; false if the key was absent (ENOENT). */
    public boolean delete(byte[] key) {
        checkKey(key);
        int r = BPF.bpf_map_delete_elem(fd(), key);
        if (r == -Errno.ENOENT) {
            return false;
        }
        if (r < 0) {
            throw fail("bpf_map_delete_elem", r);
        }
        return true;
    }

    /** Per-CPU maps: one value ({@link #valueSize()} bytes) per possible CPU; empty list if the key is absent. */
    public List<byte[]> lookupPerCpu(byte[] key) {
        requirePerCpu();
        Optional<byte[]> raw = lookup(key);
        if (raw.isEmpty()) {
            return List.of();
        }
        return splitPerCpu(raw.get());
    }

    /** Splits a raw per-CPU value into one {@link #valueSize()}-byte value per CPU. */
    public List<byte[]> splitPerCpu(byte[] raw) {
        requirePerCpu();
        int stride = perCpuStride();
        int cpus = raw.length / stride;
        List<byte[]> out = new ArrayList<>(cpus);
        for (int i = 0; i < cpus; i++) {
            out.add(Arrays.copyOfRange(raw, i * stride, i * stride + valueSize));
        }
        return out;
    }

    /** Per-CPU maps: sets each CPU's value; {@code values} has one entry per possible CPU. */
    public void updatePerCpu(byte[] key, List<byte[]> values, UpdateFlag flag) {
        requirePerCpu();
        int cpus = Net.possibleCpus();
        if (values.size() != cpus) {
            throw new IllegalArgumentException("map " + name + ": " + values.size() + " values for " + cpus
                    + " possible CPUs");
        }
        int stride = perCpuStride();
        byte[] raw = new byte[stride * cpus];
        for (int i = 0; i < cpus; i++) {
            byte[] v = values.get(i);
            if (v.length != valueSize) {
                throw new IllegalArgumentException("map " + name + ": value for CPU " + i + " is " + v.length
                        + " bytes, expected " + valueSize);
            }
            System.arraycopy(v, 0, raw, i * stride, v.length);
        }
        update(key, raw, flag);
    }

    private void requirePerCpu() {
        if (!perCpu) {
            throw new IllegalStateException("map " + name + " (type " + type + ") is not a per-CPU map");
        }
    }

    /** All keys, by walking {@code bpf_map_get_next_key}. */
    public List<byte[]> keys() {
        int fd = fd();
        List<byte[]> out = new ArrayList<>();
        byte[] cur = null;
        while (true) {
            byte[] next = new byte[keySize];
            int r = BPF.bpf_map_get_next_key(fd, cur, next);
            if (r == -Errno.ENOENT) {
                break;
            }
            if (r < 0) {
                throw fail("bpf_map_get_next_key", r);
            }
            out.add(next);
            cur = next;
            if (out.size() > maxEntries) { // concurrent deletes restart hash walks: stop rather than loop
                break;
            }
        }
        return out;
    }

    /**
     * All entries: {@code bpf_map_lookup_batch} where the kernel supports it for this map type, else
     * {@link #keys()} plus {@link #lookup}. Per-CPU maps: values are raw (all CPUs, see class comment).
     * Not a snapshot: entries changed meanwhile may or may not show.
     */
    public List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        forEach(out::add);
        return out;
    }

    /**
     * Every entry handed to {@code visit} a batch at a time, without holding them all: a walk of a
     * million-entry table needs the memory of one batch. Same source and caveats as {@link #entries()}.
     */
    public void forEach(java.util.function.Consumer<Entry> visit) {
        BpfMapBatch.forEach(this, visit);
    }

    /**
     * The values of {@code keys}, in order ({@code null}: absent): the kernel has no batch lookup of given
     * keys, so this is one {@code bpf_map_lookup_elem} each, but from one native buffer of keys into one of
     * values (no Java arrays marshalled per call): what a bulk write uses to learn what it overwrites.
     */
    public List<byte[]> lookupEach(List<byte[]> keys) {
        return BpfMapBatch.lookupEach(this, keys);
    }

    /**
     * {@code bpf_map_update_batch}: keys.get(i) -> values.get(i) (raw values), in order; returns the number of
     * elements updated. On failure the exception's message says how many were updated before it.
     *
     * <p>The kernel's batch update accepts no {@code BPF_NOEXIST}/{@code BPF_EXIST} in {@code elem_flags}
     * (EINVAL, measured on 6.18), so with {@link UpdateFlag#NOEXIST}/{@link UpdateFlag#EXIST} this does one
     * {@code bpf_map_update_elem} per element, stopping at the first failure, as the batch call would.
     */
    public int updateBatch(List<byte[]> keys, List<byte[]> values, UpdateFlag flag) {
        return BpfMapBatch.update(this, keys, values, flag);
    }

    /**
     * {@code bpf_map_delete_batch}: deletes the given keys; keys that are absent are skipped. Returns the
     * number of elements actually deleted.
     */
    public int deleteBatch(List<byte[]> keys) {
        return BpfMapBatch.delete(this, keys);
    }

    /** Pins the map at {@code path} (on a bpffs) with {@code bpf_obj_pin}. */
    public void pin(Path path) {
        Objects.requireNonNull(path, "path");
        int r = BPF.bpf_obj_pin(fd(), path.toString());
        if (r < 0) {
            throw BpfException.of("bpf_obj_pin", name + " -> " + path, -r);
        }
    }

    /** Closes the fd if this object owns it ({@link #openPinned}); no-op for maps of a {@link BpfObject}. */
    @Override
    public void close() {
        if (owner == null) {
            int fd = ownFd;
            if (fd >= 0) {
                ownFd = -1;
                Native.LIBC.close(fd);
            }
        }
    }

    @Override
    public String toString() {
        return "BpfMap[" + name + ", type " + type + ", key " + keySize + ", value " + valueSize + ", max "
                + maxEntries + "]";
    }
}
