package io.xvtep.cli;

import java.nio.file.Path;

/**
 * Where the agent's API listens and the CLI dials: a Unix socket (the default) or TCP HOST:PORT.
 *
 * <p>Why a Unix socket by default: its file mode and group decide who may talk to the agent (0660, root
 * and the --api-group), no web page can reach it (browsers cannot dial Unix sockets, so neither
 * cross-site requests nor DNS rebinding apply), and no token has to be handed around. Docker and
 * Cilium's agents do the same. TCP is served only when asked for with --api HOST:PORT: a namespace lab,
 * a CNI plugin, Prometheus; on anything but loopback a bearer token is then required.
 */
public record ApiAddress(Path socket, String host, int port) {

    /** The agent's socket for the default pin root; the CLI's default. */
    public static final Path DEFAULT_SOCKET = Path.of("/run/xvtep/xvtep.sock");
    public static final Path DEFAULT_PIN_ROOT = Path.of("/sys/fs/bpf/xvtep");

    public boolean unix() {
        return socket != null;
    }

    /** {@code unix:PATH}, an absolute PATH, or {@code HOST:PORT} (IPv6 as {@code [::1]:PORT}). */
    public static ApiAddress parse(String text) {
        String t = text.trim();
        if (t.startsWith("unix:")) {
            t = t.substring(5);
            if (t.startsWith("//")) {
                t = t.substring(2);
            }
        }
        if (t.startsWith("/")) {
            return new ApiAddress(Path.of(t), null, 0);
        }
        int colon = t.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--api must be HOST:PORT or unix:PATH: " + text);
        }
        String host = t.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--api port is not a number: " + text);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--api port must be 0..65535: " + text);
        }
        return new ApiAddress(null, host, port);
    }

    /**
     * The agent's default: /run/xvtep/xvtep.sock for the default pin root, else a socket named after the
     * pin root (two agents on one machine, e.g. one per network namespace, must not share a socket).
     */
    public static ApiAddress defaultFor(Path pinRoot) {
        Path p = pinRoot.toAbsolutePath().normalize();
        if (p.equals(DEFAULT_PIN_ROOT)) {
            return new ApiAddress(DEFAULT_SOCKET, null, 0);
        }
        return new ApiAddress(DEFAULT_SOCKET.resolveSibling(p.toString().replace('/', '_') + ".sock"), null, 0);
    }

    @Override
    public String toString() {
        return unix() ? "unix:" + socket : host + ":" + port;
    }
}
