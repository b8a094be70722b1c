package io.xvtep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandTest {

    @Test
    void capturesStdoutAndStderrSeparatelyWithTheExitCode() {
        Command.Result r = Command.of("sh", "-c", "echo out; echo err >&2; exit 3").run();
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.out()).isEqualTo("out\n");
        assertThat(r.err()).isEqualTo("err\n");
        assertThat(r.output()).isEqualTo("out\nerr\n");
        assertThatThrownBy(r::check).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited 3").hasMessageContaining("out").hasMessageContaining("err");
    }

    @Test
    void checkReturnsStdoutAndInputReachesStdin() {
        assertThat(Command.of("cat").input("{\"vni\":42}").check()).isEqualTo("{\"vni\":42}");
        assertThat(Command.of("true").check()).isEmpty(); // stdin closed: nothing waits for it
    }

    @Test
    void environmentIsSetAndUnset() {
        assertThat(Command.of("sh", "-c", "echo ${A:-none} ${HOME:-none}").env("A", "1").unsetEnv("HOME").check())
                .isEqualTo("1 none\n");
    }

    @Test
    void aHangingCommandIsKilledAtItsTimeout() {
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Command.of("sleep", "30").timeout(Duration.ofMillis(300)).run())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void aChildKeepingStdoutOpenCannotHangTheRun() {
        // the shell exits at once; its background child still holds the output: files, not pipes, so no wait
        long t0 = System.nanoTime();
        Command.Result r = Command.of("sh", "-c", "sleep 5 & echo started").timeout(Duration.ofSeconds(4)).run();
        assertThat(r.out()).isEqualTo("started\n");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void backgroundProgramsAreStoppedByPid(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("bg.log");
        try (Command.Background bg = Command.of("sh", "-c", "echo up; exec sleep 60").start(log)) {
            assertThat(bg.isAlive()).isTrue();
            assertThat(ProcessHandle.of(bg.pid())).isPresent();
            for (int i = 0; i < 50 && !Files.readString(log).contains("up"); i++) {
                Thread.sleep(100);
            }
            assertThat(bg.logText()).isEqualTo("up\n");
            Command.signal(bg.pid(), "STOP");
            Command.signal(bg.pid(), "CONT");
            bg.stop(Duration.ofSeconds(5));
            assertThat(bg.isAlive()).isFalse();
            assertThat(bg.exitValue()).isEqualTo(128 + 15); // SIGTERM, not SIGKILL
        }
    }
}
