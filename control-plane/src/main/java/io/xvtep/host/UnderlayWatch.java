package io.xvtep.host;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Tells the agent when the underlay's next hops may have changed: the kernel's rtnetlink notifications of
 * neighbours, routes and links, read from {@code ip monitor neigh route link} (iproute2, as the other host
 * helpers use),
 * in the agent's network namespace. The datapath caches what bpf_fib_lookup answered per remote VTEP
 * (bpf/include/encap_cache.h); {@code onChange} empties that cache, so the frames after a new next-hop MAC
 * or route carry the new one.
 *
 * <p>Called for: a neighbour whose MAC is new or differs from the last one seen (a neighbour's state going
 * REACHABLE/STALE/DELAY with the same MAC is not a change), a neighbour without a MAC any more (FAILED,
 * deleted), and every route or link change (a device's own MAC is the outer source MAC). A monitor that dies is restarted (after a pause), with a call, since
 * notifications may have been missed meanwhile; the datapath's own 1 s bound on an entry covers that gap.
 */
public final class UnderlayWatch implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("xvtep.agent");
    private static final Set<String> NUD_STATES = Set.of("INCOMPLETE", "REACHABLE", "STALE", "DELAY", "PROBE",
            "FAILED", "NOARP", "PERMANENT", "NONE");
    private static final long RESTART_PAUSE_MS = 1_000;

    private final Runnable onChange;
    private final Map<String, String> macs = new HashMap<>(); // "addr dev" -> lladdr last seen
    private final Thread thread;
    private volatile Process process;
    private volatile boolean closed;

    private UnderlayWatch(Runnable onChange) {
        this.onChange = onChange;
        this.thread = new Thread(this::run, "xvtep-underlay-watch");
        this.thread.setDaemon(true);
    }

    /** Starts watching; {@code onChange} runs on the watch's own thread. */
    public static UnderlayWatch start(Runnable onChange) {
        UnderlayWatch w = new UnderlayWatch(onChange);
        w.thread.start();
        return w;
    }

    private void run() {
        while (!closed) {
            try {
                Process p = new ProcessBuilder("ip", "monitor", "neigh", "route", "link").redirectErrorStream(true).start();
                process = p;
                if (closed) {
                    p.destroy();
                    return;
                }
                change(); // whatever happened before the monitor listened
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null;) {
                        if (changes(line)) {
                            change();
                        }
                    }
                }
                p.waitFor();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "underlay watch: " + e.getMessage());
            } catch (InterruptedException e) {
                return;
            }
            if (!closed) {
                LOG.log(System.Logger.Level.WARNING, "underlay watch: ip monitor stopped; restarting");
                try {
                    Thread.sleep(RESTART_PAUSE_MS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void change() {
        try {
            onChange.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "underlay watch: " + e);
        }
    }

    /** Whether a line of {@code ip monitor neigh route link} can change a next hop (see the class comment). */
    boolean changes(String line) {
        List<String> t = List.of(line.trim().split("\\s+"));
        if (t.isEmpty() || t.get(0).isEmpty()) {
            return false;
        }
        int at = t.get(0).equals("Deleted") || t.get(0).equals("miss") ? 1 : 0;
        boolean neigh = t.size() >= at + 3 && t.get(at + 1).equals("dev") && !t.get(at).contains("/")
                && NUD_STATES.contains(t.get(t.size() - 1));
        if (!neigh) {
            return true; // a route or a link (added, changed, deleted)
        }
        String key = t.get(at) + " " + t.get(at + 2);
        int ll = t.indexOf("lladdr");
        if (at == 0 && ll > 0 && ll + 1 < t.size()) {
            return !t.get(ll + 1).equals(macs.put(key, t.get(ll + 1)));
        }
        return macs.remove(key) != null || t.get(0).equals("Deleted");
    }

    @Override
    public void close() {
        closed = true;
        Process p = process;
        if (p != null) {
            p.destroy();
        }
        thread.interrupt();
    }
}
