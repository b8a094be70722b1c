package io.xvtep.cluster;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A real one-member etcd (Debian's etcd-server) on loopback for one test: free ports, its own data
 * directory, removed on close. Stoppable and startable again on the same ports and data.
 */
final class LoopbackEtcd implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final Path dir;
    private final int client;
    private final int peer;
    private final String endpoint;
    private Process etcd;

    LoopbackEtcd() throws IOException {
        dir = Files.createTempDirectory("xvtep-etcd-");
        client = freePort();
        peer = freePort();
        endpoint = "http://127.0.0.1:" + client;
    }

    String endpoint() {
        return endpoint;
    }

    /**
     * Starts etcd and waits (up to 30 s) until it is healthy: elected and committing, not merely
     * listening. A member stopped between the two has not persisted its own membership; started
     * again on that data it restarts "at commit index 0" with no voters and never serves (seen as a
     * NodeIdentityIT flake: every claim attempt timed out after the restart).
     */
    LoopbackEtcd startAndWait() throws IOException, InterruptedException {
        start();
        long end = System.nanoTime() + 30_000_000_000L;
        while (!healthy()) {
            if (System.nanoTime() > end || !etcd.isAlive()) {
                throw new IllegalStateException("etcd not listening on " + endpoint + " (" + dir.resolve("etcd.log") + ")");
            }
            Thread.sleep(100);
        }
        return this;
    }

    /** Starts etcd without waiting for it. */
    synchronized void start() throws IOException {
        String peerUrl = "http://127.0.0.1:" + peer;
        etcd = new ProcessBuilder("etcd", "--name", "t", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
                "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", "t=" + peerUrl)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("etcd.log").toFile()))
                .start();
    }

    synchronized void stop() throws InterruptedException {
        if (etcd != null) {
            etcd.destroy();
            etcd.waitFor();
            etcd = null;
        }
    }

    @Override
    public void close() throws Exception {
        stop();
        if (Boolean.getBoolean("xvtep.keepEtcd")) {
            System.out.println("etcd dir kept: " + dir);
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** etcd's /health: {"health":"true"} once a leader exists and a read went through raft. */
    private boolean healthy() throws InterruptedException {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(endpoint + "/health"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().replace(" ", "").contains("\"health\":\"true\"");
        } catch (IOException e) {
            return false;
        }
    }
}
