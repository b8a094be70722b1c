package io.xvtep.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * One agent per pin root and per underlay: exclusive locks taken before the agent touches anything
 * (pins, programs, sysctls), held for the process's life and released by the kernel when it dies, so a
 * kill -9 never leaves a stale lock. Without them a second `xvtep agent` detached the running agent's
 * programs and rewrote its config before failing on "address in use".
 *
 * <p>The lock files live in /run/xvtep (bpffs holds BPF objects only): one named after the pin root,
 * one after the underlay (network namespace inode + ifindex: the same device name in two namespaces is
 * two devices). Each file says who holds it, for the second agent's message. They are POSIX record locks
 * (fcntl), which the kernel drops with the last fd of the holder.
 */
public final class AgentLock implements AutoCloseable {

    /** Where the locks (and the agent's other host-side state) live. */
    public static final Path STATE = Path.of("/run/xvtep");

    private final List<FileChannel> held;
    private final List<Path> files;

    private AgentLock(List<FileChannel> held, List<Path> files) {
        this.held = held;
        this.files = files;
    }

    /** Refused: another agent holds the pin root or the underlay. */
    public static final class HeldException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        HeldException(String message) {
            super(message);
        }
    }

    /** The lock file of a pin root. */
    public static Path pinRootLock(Path dir, Path pinRoot) {
        return dir.resolve(pinRoot.toAbsolutePath().normalize().toString().replace('/', '_') + ".lock");
    }

    /** The lock file of an underlay device in the calling thread's network namespace. */
    public static Path underlayLock(Path dir, int ifindex) {
        String ns;
        try {
            ns = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString().replaceAll("[^0-9]", "");
        } catch (IOException | UnsupportedOperationException e) {
            ns = "unknown";
        }
        return dir.resolve("underlay-netns" + ns + "-if" + ifindex + ".lock");
    }

    /**
     * Takes both locks or none.
     *
     * @param what for the holder line, e.g. "agent --underlay eth0 --pin-root /sys/fs/bpf/xvtep"
     * @throws HeldException when another process holds either (the message names it)
     */
    public static AgentLock acquire(Path dir, Path pinRoot, int underlayIfindex, String what) {
        List<Path> files = new ArrayList<>(List.of(pinRootLock(dir, pinRoot)));
        if (underlayIfindex != 0) {
            files.add(underlayLock(dir, underlayIfindex));
        }
        List<FileChannel> held = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            for (Path f : files) {
                FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
                FileLock lock;
                try {
                    lock = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null; // held by this very process (tests running two agents in one JVM)
                }
                if (lock == null) {
                    String holder = readHolder(ch);
                    ch.close();
                    throw new HeldException((f.equals(files.get(0)) ? "pin root " + pinRoot
                            : "the underlay (ifindex " + underlayIfindex + ")") + " is in use by another xvtep agent"
                            + (holder.isEmpty() ? "" : " (" + holder + ")") + "; stop it first (lock " + f + ")");
                }
                held.add(ch);
                ch.truncate(0);
                ch.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + ": " + what + "\n")
                        .getBytes(StandardCharsets.UTF_8)), 0);
            }
            return new AgentLock(held, files);
        } catch (IOException e) {
            closeAll(held);
            throw new IllegalStateException("cannot lock " + files + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeAll(held);
            throw e;
        }
    }

    private static String readHolder(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate(512);
            int n = ch.read(b, 0);
            return n <= 0 ? "" : new String(b.array(), 0, n, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static void closeAll(List<FileChannel> chs) {
        for (FileChannel c : chs) {
            try {
                c.close();
            } catch (IOException e) {
                // released with the fd anyway
            }
        }
    }

    /**
     * Deletes the lock files while still holding them: for `--cleanup`, after which nothing runs on this
     * pin root. (An agent keeps its files: deleting a lock file it releases would race with the next taker.)
     */
    public void removeFiles() {
        for (Path f : files) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                // a stale lock file is harmless
            }
        }
    }

    /** Releases the locks (the files stay: deleting a lock file races with the next taker). */
    @Override
    public void close() {
        closeAll(held);
    }
}
