package io.xvtep.host;

import io.xvtep.libbpf.Bpffs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The pins are the agent's state: they must outlive the agent, so they must be on the host's bpffs.
 * `ip netns exec NAME xvtep agent` (what most netns tutorials do) runs the agent in a mount namespace
 * of its own with a fresh /sys, where /sys/fs/bpf is an empty sysfs directory: mounting a bpffs there
 * (as the agent would on a host without one) gives a private bpffs that dies with the process, and a
 * restart finds no VNI. That case is refused with instructions, as is a bpffs that this mount namespace
 * sees but PID 1 does not.
 */
public final class PinRootCheck {

    private PinRootCheck() {
    }

    /** How to run the agent in a network namespace without losing the host's bpffs. */
    public static final String HOW = "run it with `nsenter --net=/run/netns/NAME xvtep agent ...` (nsenter keeps"
            + " the host's mounts; `ip netns exec` remounts /sys and hides /sys/fs/bpf)";

    /**
     * Throws IllegalStateException (with what to do) unless {@code pinRoot} is, or may be created, on a
     * bpffs shared with the host.
     */
    public static void requireShared(Path pinRoot) {
        Path abs = Objects.requireNonNull(pinRoot, "pinRoot").toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new IllegalStateException("pin root " + abs + ": no existing ancestor");
        }
        Boolean shared = sameMountNamespaceAsInit(); // null: cannot tell (no access to /proc/1)
        if (Bpffs.isBpffs(existing)) {
            // On a bpffs: is it the one PID 1 sees at the same path?
            Path initView = Path.of("/proc/1/root").resolve(Path.of("/").relativize(existing));
            Long ours = device(existing);
            Long init = device(initView);
            if (Boolean.FALSE.equals(shared) && ours != null && init != null && !ours.equals(init)) {
                throw new IllegalStateException("pin root " + abs + " is on a bpffs private to this mount namespace"
                        + " (the host sees another file system at " + existing + "): the pins would vanish with"
                        + " this agent; " + HOW);
            }
            return;
        }
        if (!Boolean.TRUE.equals(shared)) {
            // `ip netns exec` lands here: /sys/fs/bpf is a directory of its fresh sysfs.
            throw new IllegalStateException("pin root " + abs + " is not on a bpffs (" + existing + " is "
                    + fsType(existing) + ")" + (shared == null ? " and this agent cannot tell whether it shares the"
                    + " host's mounts" : " and this agent runs in a mount namespace of its own") + ": a bpffs"
                    + " mounted here could vanish with the agent, and every VNI with it. If you started it with"
                    + " `ip netns exec`, " + HOW + "; otherwise mount the host's bpffs first"
                    + " (mount -t bpf bpf /sys/fs/bpf)");
        }
        // The host's own mount namespace without a bpffs yet: mounting one there is what systemd would do.
    }

    private static String fsType(Path p) {
        try {
            return Files.getFileStore(p).type();
        } catch (IOException e) {
            return "not a bpffs";
        }
    }

    /** Whether this process shares PID 1's mount namespace; null when that cannot be told. */
    static Boolean sameMountNamespaceAsInit() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/mnt"))
                    .equals(Files.readSymbolicLink(Path.of("/proc/1/ns/mnt")));
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    private static Long device(Path p) {
        try {
            return ((Number) Files.getAttribute(p, "unix:dev")).longValue();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            return null;
        }
    }

    /**
     * For `--cleanup`: the pin root must be a directory on a bpffs (anything else is not ours: refused,
     * nothing removed). Returns false when it does not exist.
     */
    public static boolean requireBpffsDirForCleanup(Path pinRoot) {
        if (!Files.exists(pinRoot, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        if (!Files.isDirectory(pinRoot, java.nio.file.LinkOption.NOFOLLOW_LINKS) || !Bpffs.isBpffs(pinRoot)) {
            throw new IllegalStateException("--pin-root " + pinRoot + " is not a directory on a bpffs: refusing to"
                    + " remove anything there (xvtep's pins live on a bpffs, e.g. /sys/fs/bpf/xvtep)");
        }
        return true;
    }
}
