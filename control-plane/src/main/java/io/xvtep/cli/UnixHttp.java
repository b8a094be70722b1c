package io.xvtep.cli;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over the agent's Unix socket, for the CLI (java.net.http cannot dial a Unix socket; Java 16+
 * SocketChannel can). One request per connection ({@code Connection: close}); the body comes back
 * whole ({@link #send}) or as a stream ({@link #open}, for server-sent events), chunked or not.
 */
final class UnixHttp {

    private UnixHttp() {
    }

    /** Status and the body as a stream; close it to close the connection. */
    record Exchange(int status, InputStream body) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            body.close();
        }

        String text() throws IOException {
            try (InputStream in = body) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
    }

    static Exchange open(Path socket, String method, String path, Map<String, String> headers, byte[] body)
            throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new java.net.ConnectException(e.getMessage());
            }
            OutputStream out = Channels.newOutputStream(ch);
            StringBuilder req = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                    .append("Host: localhost\r\nConnection: close\r\n");
            headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
            if (body != null) {
                req.append("Content-Length: ").append(body.length).append("\r\n");
            }
            req.append("\r\n");
            out.write(req.toString().getBytes(StandardCharsets.UTF_8));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            InputStream in = new BufferedInputStream(Channels.newInputStream(ch));
            String status = line(in);
            String[] parts = status.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP response: " + status);
            }
            long length = -1;
            boolean chunked = false;
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = h.substring(colon + 1).trim();
                if (name.equals("content-length")) {
                    length = Long.parseLong(value);
                } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                    chunked = true;
                }
            }
            InputStream payload = chunked ? new Chunked(in) : length >= 0 ? new Bounded(in, length) : in;
            return new Exchange(Integer.parseInt(parts[1]), payload);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed in the response head");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** A body read {@code left} bytes at a time from the connection; subclasses say whether more follow. */
    private abstract static class BodyStream extends InputStream {
        final InputStream in;
        long left;

        BodyStream(InputStream in, long left) {
            this.in = in;
            this.left = left;
        }

        /** True when {@code left} bytes (at least one) can be read now; false at the body's end. */
        abstract boolean more() throws IOException;

        @Override
        public int read() throws IOException {
            if (!more()) {
                return -1;
            }
            int c = in.read();
            if (c >= 0) {
                left--;
            }
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (!more()) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** Exactly {@code n} bytes of the body. */
    private static final class Bounded extends BodyStream {
        Bounded(InputStream in, long n) {
            super(in, n);
        }

        @Override
        boolean more() {
            return left > 0;
        }
    }

    /** Transfer-Encoding: chunked, decoded as it arrives (the event stream never ends by itself). */
    private static final class Chunked extends BodyStream {
        private boolean done;

        Chunked(InputStream in) {
            super(in, 0);
        }

        @Override
        boolean more() throws IOException {
            if (done) {
                return false;
            }
            if (left == 0) {
                String size = line(in);
                if (size.isEmpty()) { // the CRLF after the previous chunk
                    size = line(in);
                }
                int semi = size.indexOf(';');
                left = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                if (left == 0) {
                    done = true;
                    return false;
                }
            }
            return true;
        }
    }
}
