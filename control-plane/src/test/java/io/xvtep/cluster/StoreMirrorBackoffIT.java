package io.xvtep.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.xvtep.cluster.StoreView.Dirty;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The mirror's retry against a real etcd: a list the node fails to apply (a full FDB: E2BIG, a type the
 * checks missed) is listed and applied again after a back-off that doubles from 200 ms, each retry a full
 * pass; a successful pass resets the back-off, so a later failure (here while applying a watch response)
 * is retried after 200 ms again, not after the 6.4 s the doubling had reached. Only lower bounds are
 * timed (a scheduled retry never runs early); the one upper bound has seconds of slack.
 */
class StoreMirrorBackoffIT {

    /** The sink's failures before the first success: back-offs 200, 400, 800, 1600, 3200 ms. */
    private static final int FAILS = 5;

    private record Call(long atNanos, boolean full, String what) {
    }

    @Test
    void aFailedPassIsRetriedWithADoublingBackOffThatSuccessResets() throws Exception {
        List<Call> calls = new ArrayList<>();
        AtomicBoolean failNextChange = new AtomicBoolean();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ClusterMetrics metrics = new ClusterMetrics(registry);
        Keys keys = new Keys("/xvtep-it");
        try (LoopbackEtcd etcd = new LoopbackEtcd().startAndWait();
                ClusterThread thread = new ClusterThread();
                StoreClient store = new StoreClient(List.of(etcd.endpoint()), ClusterOptions.Security.NONE, thread, metrics);
                StoreMirror mirror = new StoreMirror(keys, store, thread, metrics, new StoreView(keys))) {
            mirror.start(new StoreMirror.Sink() {
                @Override
                public void listed(Dirty d, boolean first, long revision, int changes) {
                    int n;
                    synchronized (calls) {
                        calls.add(new Call(System.nanoTime(), first, "listed"));
                        n = calls.size();
                    }
                    if (n <= FAILS) {
                        throw new IllegalStateException("applying the list failed (test " + n + ")");
                    }
                }

                @Override
                public void changed(Dirty d) {
                    if (failNextChange.getAndSet(false)) {
                        synchronized (calls) {
                            calls.add(new Call(System.nanoTime(), false, "changed"));
                        }
                        throw new IllegalStateException("applying the watch failed (test)");
                    }
                }
            });
            waitFor(() -> count(calls) == FAILS + 1, 30, "the first successful pass");
            List<Call> c = snapshot(calls);
            long delay = StoreMirror.MIN_BACKOFF_MS;
            for (int i = 1; i <= FAILS; i++) {
                assertThat(c.get(i).full()).as("retry " + i + " is a full pass").isTrue();
                assertThat(millis(c.get(i - 1), c.get(i))).as("wait before retry " + i).isGreaterThanOrEqualTo(delay);
                delay *= 2;
            }
            assertThat(metrics.resyncs.count()).as("lists taken").isEqualTo(FAILS + 1);

            // the pass succeeded: a watch response that fails to apply is retried after the minimum again
            failNextChange.set(true);
            put(store, keys.prefix() + "nodes/n9", "{}");
            waitFor(() -> count(calls) == FAILS + 3, 30, "the failed watch response and its retry");
            c = snapshot(calls);
            Call failedChange = c.get(FAILS + 1), retry = c.get(FAILS + 2);
            assertThat(failedChange.what()).isEqualTo("changed");
            assertThat(retry.what()).isEqualTo("listed");
            assertThat(retry.full()).as("after a failed watch response the retry is a full pass").isTrue();
            assertThat(millis(failedChange, retry)).as("back-off after the reset")
                    .isGreaterThanOrEqualTo(StoreMirror.MIN_BACKOFF_MS)
                    .isLessThan(delay - 1000); // without the reset it would wait `delay` (6.4 s)

            // and the watch runs again: a later change reaches the sink
            failNextChange.set(true);
            put(store, keys.prefix() + "nodes/n8", "{}");
            waitFor(() -> count(calls) >= FAILS + 4, 30, "a change after the retry");
            assertThat(snapshot(calls).get(FAILS + 3).what()).as("watched again after the retry").isEqualTo("changed");
        }
    }

    private static void put(StoreClient store, String key, String value) throws Exception {
        CompletableFuture<Long> done = new CompletableFuture<>();
        store.put(key, value, 0, done::complete, done::completeExceptionally);
        done.get(10, TimeUnit.SECONDS);
    }

    private static long millis(Call a, Call b) {
        return TimeUnit.NANOSECONDS.toMillis(b.atNanos() - a.atNanos());
    }

    private static int count(List<Call> calls) {
        synchronized (calls) {
            return calls.size();
        }
    }

    private static List<Call> snapshot(List<Call> calls) {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    private static void waitFor(BooleanSupplier ok, int seconds, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!ok.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(end);
            Thread.sleep(20);
        }
    }
}
