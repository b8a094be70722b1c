package io.xvtep.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The one way tests run a program: {@code Command.of("ip", "-n", ns, "link").check()}. Every run has a
 * timeout (the process is killed when it passes), stdout and stderr are captured separately through
 * files (a child that keeps a pipe open can't hang the test), stdin is closed unless input is given.
 * Long-running programs (an agent, a CLI monitor) are {@link #start}ed and stopped by their pid.
 */
public final class Command {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final List<String> argv;
    private Duration timeout = DEFAULT_TIMEOUT;
    private final Map<String, String> env = new LinkedHashMap<>();
    private final Set<String> unset = new HashSet<>();
    private byte[] input;

    private Command(List<String> argv) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        this.argv = List.copyOf(argv);
    }

    public static Command of(String... argv) {
        return new Command(List.of(argv));
    }

    public static Command of(List<String> argv) {
        return new Command(argv);
    }

    /** {@code prefix} followed by {@code argv} (e.g. nsenter --net=... then the command). */
    static Command of(List<String> prefix, String... argv) {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(List.of(argv));
        return new Command(all);
    }

    public Command timeout(Duration t) {
        this.timeout = t;
        return this;
    }

    public Command env(String name, String value) {
        env.put(name, value);
        unset.remove(name);
        return this;
    }

    public Command env(Map<String, String> vars) {
        vars.forEach(this::env);
        return this;
    }

    /** Removes a variable the test process may have (e.g. XVTEP_TOKEN) from the child's environment. */
    public Command unsetEnv(String name) {
        env.remove(name);
        unset.add(name);
        return this;
    }

    public Command input(String text) {
        this.input = text.getBytes(StandardCharsets.UTF_8);
        return this;
    }

    public List<String> argv() {
        return argv;
    }

    /** What a finished command did. */
    public record Result(List<String> argv, int exit, String out, String err) {
        public boolean ok() {
            return exit == 0;
        }

        /** stdout then stderr, for messages a test looks for wherever the program printed them. */
        public String output() {
            return out + err;
        }

        /** This result if the exit code was 0, else an IllegalStateException carrying both outputs. */
        public Result check() {
            if (exit != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " exited " + exit + ": " + output().strip());
            }
            return this;
        }
    }

    private ProcessBuilder builder() {
        ProcessBuilder pb = new ProcessBuilder(argv);
        unset.forEach(pb.environment()::remove);
        pb.environment().putAll(env);
        return pb;
    }

    /** Runs to the end (or kills at the timeout and throws). */
    public Result run() {
        Path out = null, err = null;
        try {
            out = Files.createTempFile("xvtep-cmd", ".out");
            err = Files.createTempFile("xvtep-cmd", ".err");
            Process p = builder().redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try (var stdin = p.getOutputStream()) {
                if (input != null) {
                    stdin.write(input);
                }
            } catch (IOException e) {
                // the program exited without reading its input: its exit code tells
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("timeout after " + timeout.toSeconds() + " s: " + String.join(" ", argv)
                        + ": " + (Files.readString(out) + Files.readString(err)).strip());
            }
            return new Result(argv, p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", argv), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", argv), e);
        } finally {
            delete(out);
            delete(err);
        }
    }

    /** Runs, fails on a non-zero exit, returns stdout. */
    public String check() {
        return run().check().out();
    }

    /** Starts in the background; stdout and stderr are appended to {@code log}. */
    public Background start(Path log) {
        try {
            Process p = builder().redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            p.getOutputStream().close();
            return new Background(argv, p, log);
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", argv), e);
        }
    }

    /** Sends {@code signal} (e.g. STOP, CONT) to one process this test started, by its pid. */
    public static void signal(long pid, String signal) {
        of("kill", "-" + signal, Long.toString(pid)).check();
    }

    private static void delete(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // a temp file
            }
        }
    }

    /** A started program: stopped by pid (SIGTERM, then SIGKILL after a grace period) on close. */
    public static final class Background implements AutoCloseable {
        private final List<String> argv;
        private final Process process;
        private final Path log;

        Background(List<String> argv, Process process, Path log) {
            this.argv = argv;
            this.process = process;
            this.log = log;
        }

        public long pid() {
            return process.pid();
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        public Path log() {
            return log;
        }

        public String logText() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        /** Waits for the program to end by itself; its exit code, or empty at the timeout. */
        public java.util.OptionalInt waitFor(Duration timeout) {
            try {
                return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
                        ? java.util.OptionalInt.of(process.exitValue()) : java.util.OptionalInt.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return java.util.OptionalInt.empty();
            }
        }

        public int exitValue() {
            return process.exitValue();
        }

        /** SIGTERM by pid, as an init system stops a daemon; SIGKILL if it is still there after {@code grace}. */
        public void stop(Duration grace) {
            if (!process.isAlive()) {
                return;
            }
            process.destroy();
            if (waitFor(grace).isEmpty()) {
                process.destroyForcibly();
                waitFor(Duration.ofSeconds(5));
            }
        }

        @Override
        public void close() {
            stop(Duration.ofSeconds(10));
        }

        @Override
        public String toString() {
            return "pid " + pid() + ": " + String.join(" ", argv);
        }
    }
}
