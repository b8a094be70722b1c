package io.xvtep.libbpf;

import static io.xvtep.libbpf.internal.Native.BPF;

import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import io.xvtep.libbpf.internal.Native;
import io.xvtep.libbpf.internal.Structs;
import jnr.ffi.Pointer;

/**
 * A libbpf {@code struct bpf_object}: an ELF file of BPF programs and maps, opened, then {@link #load() loaded}
 * into the kernel. Maps declared with {@code __uint(pinning, LIBBPF_PIN_BY_NAME)} are pinned as
 * {@code <pinRoot>/<map name>} on load, or reused if a compatible map is already pinned there.
 *
 * <p>Not thread-safe for open/load/close; once loaded, the {@link BpfMap}s and {@link BpfProgram}s may be used
 * from any thread until {@link #close()}.
 */
public final class BpfObject implements AutoCloseable {
    /** Size of the buffer libbpf fills with the verifier log when a program load fails. */
    static final int LOG_BUF_SIZE = 16 << 20;

    private final String name;
    private final List<BpfProgram> programs;
    private final List<BpfMap> maps;
    private Pointer obj;
    private Pointer openOpts;     // referenced by libbpf through obj until load
    private Pointer logBuf;       // ditto
    private Pointer elfMem;       // bpf_object__open_mem does not copy the ELF
    private boolean loaded;

    private BpfObject(Pointer obj, Pointer openOpts, Pointer logBuf, Pointer elfMem) {
        this.obj = obj;
        this.openOpts = openOpts;
        this.logBuf = logBuf;
        this.elfMem = elfMem;
        this.name = BPF.bpf_object__name(obj);
        List<BpfProgram> progs = new ArrayList<>();
        for (Pointer p = BPF.bpf_object__next_program(obj, null); p != null;
             p = BPF.bpf_object__next_program(obj, p)) {
            progs.add(new BpfProgram(this, p));
        }
        List<BpfMap> ms = new ArrayList<>();
        for (Pointer m = BPF.bpf_object__next_map(obj, null); m != null; m = BPF.bpf_object__next_map(obj, m)) {
            ms.add(new BpfMap(this, m));
        }
        this.programs = Collections.unmodifiableList(progs);
        this.maps = Collections.unmodifiableList(ms);
    }

    /**
     * Opens an ELF file ({@code bpf_object__open_file}). {@code pinRoot} may be null (libbpf then pins
     * by-name maps under {@code /sys/fs/bpf}); otherwise it becomes {@code pin_root_path} and is created (and
     * bpffs mounted if needed, see {@link Bpffs#ensureMounted(Path)}).
     */
    public static BpfObject open(Path elfFile, Path pinRoot) {
        Objects.requireNonNull(elfFile, "elfFile");
        return doOpen(elfFile.toString(), null, null, pinRoot);
    }

    /** Opens an ELF image held in memory ({@code bpf_object__open_mem}), e.g. a resource from a jar. */
    public static BpfObject open(byte[] elf, String name, Path pinRoot) {
        Objects.requireNonNull(elf, "elf");
        Objects.requireNonNull(name, "name");
        return doOpen(name, elf, name, pinRoot);
    }

    private static BpfObject doOpen(String subject, byte[] elf, String objectName, Path pinRoot) {
        Native.init();
        if (pinRoot != null) {
            Bpffs.ensureMounted(pinRoot);
        }
        Pointer opts = Native.alloc(Structs.OPEN_OPTS_SIZE);
        opts.putLong(0, Structs.OPEN_OPTS_SIZE);
        Pointer nameStr = null;
        if (objectName != null) {
            nameStr = cString(objectName);
            opts.putAddress(Structs.OPEN_OPTS_OBJECT_NAME, nameStr.address());
        }
        Pointer pinStr = null;
        if (pinRoot != null) {
            pinStr = cString(pinRoot.toAbsolutePath().toString());
            opts.putAddress(Structs.OPEN_OPTS_PIN_ROOT_PATH, pinStr.address());
        }
        // log level 0 + custom buffer: libbpf loads without a log and, on failure, retries with log level 1
        // into this buffer, so a successful load costs nothing and a rejection leaves the verifier log here.
        // calloc: large sizes come straight from mmap, zero pages that cost nothing until the kernel writes
        Pointer logBuf = Native.LIBC.calloc(LOG_BUF_SIZE, 1);
        if (logBuf == null) {
            throw new OutOfMemoryError("calloc(" + LOG_BUF_SIZE + ") for the verifier log");
        }
        opts.putAddress(Structs.OPEN_OPTS_KERNEL_LOG_BUF, logBuf.address());
        opts.putLong(Structs.OPEN_OPTS_KERNEL_LOG_SIZE, LOG_BUF_SIZE);
        opts.putInt(Structs.OPEN_OPTS_KERNEL_LOG_LEVEL, 0);

        Pointer elfMem = elf == null ? null : Native.copyOf(elf);
        Pointer obj;
        int errno = 0;
        Native.beginCapture();
        try {
            obj = elf == null ? BPF.bpf_object__open_file(subject, opts)
                    : BPF.bpf_object__open_mem(elfMem, elf.length, opts);
            if (obj == null) {
                errno = Native.lastErrno();
            }
        } catch (RuntimeException | Error e) {
            Native.endCapture();
            throw e;
        }
        // libbpf strdup()s object_name and pin_root_path
        Reference.reachabilityFence(nameStr);
        Reference.reachabilityFence(pinStr);
        if (obj == null) {
            Native.LIBC.free(logBuf);
            throw BpfException.of(elf == null ? "bpf_object__open_file" : "bpf_object__open_mem", subject, errno,
                    null, Native.endCapture(), null);
        }
        Native.endCaptureAndLog();
        return new BpfObject(obj, opts, logBuf, elfMem);
    }

    static Pointer cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        Pointer p = Native.alloc(b.length + 1);
        p.put(0, b, 0, b.length);
        return p;
    }

    /** Object name (file base name without ".o", or the name given to {@link #open(byte[], String, Path)}). */
    public String name() {
        return name;
    }

    /**
     * Creates the maps (or reuses pinned ones), loads and verifies all programs ({@code bpf_object__load}).
     *
     * @throws BpfException on failure; {@link BpfException#verifierLog()} holds the kernel's log when the
     *                      verifier rejected a program
     */
    public void load() {
        checkOpen();
        if (loaded) {
            throw new IllegalStateException("bpf object " + name + " is already loaded");
        }
        int r;
        Native.beginCapture();
        try {
            r = BPF.bpf_object__load(obj);
        } catch (RuntimeException | Error e) {
            Native.endCapture();
            throw e;
        }
        if (r < 0) {
            String log = logBuf.getString(0, LOG_BUF_SIZE, StandardCharsets.UTF_8);
            freeLogBuf(); // a failed object cannot be loaded again
            throw BpfException.of("bpf_object__load", name, -r, null, Native.endCapture(),
                    log == null || log.isBlank() ? null : log);
        }
        Native.endCaptureAndLog();
        loaded = true;
        freeLogBuf(); // libbpf does not look at it after bpf_object__load
    }

    public boolean isLoaded() {
        return loaded;
    }

    /** Program by C function name. */
    public BpfProgram program(String name) {
        checkOpen();
        for (BpfProgram p : programs) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("no program '" + name + "' in bpf object " + this.name
                + "; programs: " + programs.stream().map(BpfProgram::name).toList());
    }

    /** Map by name (as declared in C; internal maps appear as e.g. "name.rodata"). */
    public BpfMap map(String name) {
        checkOpen();
        for (BpfMap m : maps) {
            if (m.name().equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("no map '" + name + "' in bpf object " + this.name
                + "; maps: " + maps.stream().map(BpfMap::name).toList());
    }

    public List<BpfProgram> programs() {
        checkOpen();
        return programs;
    }

    public List<BpfMap> maps() {
        checkOpen();
        return maps;
    }

    /**
     * {@code bpf_object__close}: releases this process's fds of the programs and maps. Pinned maps and
     * programs, and XDP/TC attachments, stay in the kernel. Idempotent.
     */
    @Override
    public void close() {
        if (obj != null) {
            BPF.bpf_object__close(obj);
            obj = null;
            openOpts = null;
            freeLogBuf();
            elfMem = null;
        }
    }

    private void freeLogBuf() {
        if (logBuf != null) {
            Native.LIBC.free(logBuf);
            logBuf = null;
        }
    }

    boolean isClosed() {
        return obj == null;
    }

    void checkOpen() {
        if (obj == null) {
            throw new IllegalStateException("bpf object " + name + " is closed");
        }
    }

    @Override
    public String toString() {
        return "BpfObject[" + name + (loaded ? ", loaded" : "") + (obj == null ? ", closed" : "") + "]";
    }
}
