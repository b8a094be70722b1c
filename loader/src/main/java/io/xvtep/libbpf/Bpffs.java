package io.xvtep.libbpf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Objects;

import io.xvtep.libbpf.internal.Native;
import io.xvtep.libbpf.internal.Structs;
import jnr.ffi.Pointer;

/** The BPF filesystem, where maps and programs are pinned. */
public final class Bpffs {
    /** {@code BPF_FS_MAGIC} */
    public static final long BPF_FS_MAGIC = 0xcafe4a11L;
    /** The conventional mount point. */
    public static final Path DEFAULT_MOUNT = Path.of("/sys/fs/bpf");

    private Bpffs() {
    }

    /** Whether {@code path} (which must exist) is on a bpffs ({@code statfs} magic 0xcafe4a11). */
    public static boolean isBpffs(Path path) {
        Pointer buf = Native.alloc(Structs.STATFS_SIZE);
        int r = Native.LIBC.statfs(path.toString(), buf);
        if (r != 0) {
            throw BpfException.of("statfs", path.toString(), Native.lastErrno());
        }
        return (buf.getLong(0) & 0xffffffffL) == BPF_FS_MAGIC;
    }

    /**
     * Makes {@code dir} a directory on a bpffs. If it (or its nearest existing ancestor) already is on one, it
     * only creates the missing directories. Otherwise it mounts a bpffs ({@code mount -t bpf}, mode 0700): on
     * {@code /sys/fs/bpf} if {@code dir} lies below that unmounted conventional mount point, else on
     * {@code dir} itself (created first).
     */
    public static void ensureMounted(Path dir) {
        Objects.requireNonNull(dir, "dir");
        Path abs = dir.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new IllegalArgumentException("no existing ancestor of " + abs);
        }
        if (!isBpffs(existing)) {
            Path target;
            if (abs.startsWith(DEFAULT_MOUNT) && existing.startsWith(DEFAULT_MOUNT)) {
                target = existing.equals(DEFAULT_MOUNT) ? DEFAULT_MOUNT : existing;
            } else if (existing.equals(abs)) {
                target = abs;
            } else {
                createDirectories(abs);
                target = abs;
            }
            if (!Files.isDirectory(target)) {
                throw new IllegalArgumentException(target + " is not a directory");
            }
            mount(target);
        }
        createDirectories(abs);
    }

    private static void mount(Path target) {
        int r = Native.LIBC.mount("bpf", target.toString(), "bpf", 0, "mode=0700");
        if (r != 0) {
            throw BpfException.of("mount -t bpf", target.toString(), Native.lastErrno());
        }
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    /**
     * Unlinks every pin below {@code dir} and the directories, {@code dir} included; a no-op if it does not
     * exist. Unlinking a pin drops that reference only; the object lives on while fds or attachments hold it.
     */
    public static void removeTree(Path dir) {
        Objects.requireNonNull(dir, "dir");
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                    if (exc instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw exc;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    if (exc != null && !(exc instanceof NoSuchFileException)) {
                        throw exc;
                    }
                    deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }

    private static void deleteIfExists(Path p) throws IOException {
        Files.deleteIfExists(p);
    }

    /** Lists the entries directly below {@code dir} (pins and directories). */
    public static List<Path> list(Path dir) {
        try (var s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }
}
