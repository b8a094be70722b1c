package io.xvtep.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Names no other run on the machine uses at the same time (namespaces, pin roots, temp files).
 *
 * <p>A name carries the pid of the JVM that made it, so what a killed run (kill -9, a CI timeout) left behind
 * can be told apart from what a live run still uses: {@link #stale} finds only names whose owner is gone.
 */
public final class Unique {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long PID = ProcessHandle.current().pid();

    private Unique() {
    }

    /** {@code prefix-PID-XXXXXXXX}: the owner's pid and 32 random bits, so two runs never collide. */
    public static String name(String prefix) {
        byte[] b = new byte[4];
        RANDOM.nextBytes(b);
        return prefix + "-" + PID + "-" + HexFormat.of().formatHex(b);
    }

    /** The owner pid of a name made by {@link #name} with this prefix, or -1 if it is not such a name. */
    static long owner(String prefix, String name) {
        Matcher m = Pattern.compile(Pattern.quote(prefix) + "-(\\d{1,10})-[0-9a-f]{8}").matcher(name);
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Entries of {@code dir} named by {@link #name} with this prefix whose owning process no longer runs. */
    public static List<Path> stale(Path dir, String prefix) {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> {
                long pid = owner(prefix, p.getFileName().toString());
                if (pid > 0 && pid != PID && ProcessHandle.of(pid).isEmpty()) found.add(p);
            });
        } catch (IOException e) {
            // no such directory (no namespaces yet, bpffs not mounted): nothing is stale
        }
        return found;
    }

    /** Removes a directory tree left by a dead run (a bpffs pin root: its files unlink like any other). */
    public static void removeTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: what is left is reported by the next sweep, not fatal to this run
                }
            });
        } catch (IOException e) {
            // already gone
        }
    }
}
