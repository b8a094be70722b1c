package io.xvtep.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.model.EventType;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Mac;
import io.xvtep.service.VtepEvent;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

/**
 * The event thread's policy (issue 11: "the ring-buffer thread stops for good on a handler exception,
 * and readiness stays green"). The ring is the agent's real one elsewhere (LearningStormIT); here a
 * source delivers decoded events the way RingBuffer's callback does, so each failure can be provoked.
 */
class EventConsumerTest {

    private static final VtepEvent LEARN = new VtepEvent(EventType.LEARN, 42, Mac.parse("02:00:00:00:00:01"),
            IpAddress.parse("198.18.0.2"), 0, null, 0);

    /** A source delivering {@code perPoll} events per poll and throwing on every {@code failEvery}-th poll. */
    private static EventConsumer.Source source(Consumer<VtepEvent> cb, int perPoll, int failEvery, AtomicInteger polls) {
        return new EventConsumer.Source() {
            @Override
            public void poll(int timeoutMs) {
                int n = polls.incrementAndGet();
                if (failEvery > 0 && n % failEvery == 0) {
                    throw new IllegalStateException("record does not decode");
                }
                for (int i = 0; i < perPoll; i++) {
                    cb.accept(LEARN);
                }
                sleep(1);
            }

            @Override
            public void close() {
            }
        };
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void await(java.util.function.BooleanSupplier c) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.getAsBoolean() && System.nanoTime() < deadline) {
            sleep(5);
        }
        assertThat(c.getAsBoolean()).isTrue();
    }

    @Test
    void aFailingSinkIsCountedAndTheOthersAndTheThreadGoOn() {
        AtomicInteger good = new AtomicInteger();
        AtomicInteger polls = new AtomicInteger();
        try (EventConsumer c = new EventConsumer(cb -> source(cb, 3, 0, polls),
                List.of(new EventConsumer.Sink("bad", ev -> {
                    throw new IllegalArgumentException("boom");
                }), new EventConsumer.Sink("good", ev -> good.incrementAndGet()))).start()) {
            await(() -> good.get() >= 300);
            assertThat(c.healthy()).isTrue();
            long bad = c.errors().get("bad").sum();
            assertThat(bad).isGreaterThanOrEqualTo(300 - 3);
            assertThat(c.errors().get("good").sum()).isZero();
        }
    }

    @Test
    void aFailingPollIsCountedAndRetried() {
        AtomicInteger good = new AtomicInteger();
        AtomicInteger polls = new AtomicInteger();
        try (EventConsumer c = new EventConsumer(cb -> source(cb, 1, 2, polls),
                List.of(new EventConsumer.Sink("good", ev -> good.incrementAndGet()))).start()) {
            await(() -> c.errors().get("poll").sum() >= 3 && good.get() >= 3);
            assertThat(c.healthy()).isTrue();
        }
    }

    @Test
    void aDeadThreadTurnsUnhealthy() {
        AtomicInteger polls = new AtomicInteger();
        try (EventConsumer c = new EventConsumer(cb -> source(cb, 1, 0, polls),
                List.of(new EventConsumer.Sink("fatal", ev -> {
                    throw new OutOfMemoryError("simulated");
                }))).start()) {
            await(() -> !c.healthy());
        }
    }

    @Test
    void aStuckSinkTurnsUnhealthy() {
        AtomicInteger polls = new AtomicInteger();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (EventConsumer c = new EventConsumer(cb -> source(cb, 1, 0, polls),
                List.of(new EventConsumer.Sink("stuck", ev -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                })), TimeUnit.MILLISECONDS.toNanos(300)).start()) {
            await(() -> !c.healthy());
            release.countDown();
            await(c::healthy);
        }
    }
}
