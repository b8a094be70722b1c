package io.xvtep.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Shared by the client commands: where the agent listens, its token, --json, one HTTP round
 * trip, and the iproute2-style argument words. Bad arguments end in a picocli
 * ParameterException (message + usage, exit 2); API errors print the API's error, exit 1.
 */
public abstract class ClientCommand {

    @Option(names = "--api", paramLabel = "unix:PATH|HOST:PORT",
            description = "Agent API address (default: $XVTEP_API or the agent's socket unix:/run/xvtep/xvtep.sock)")
    String api;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File holding the API bearer token (default: $XVTEP_TOKEN)")
    Path tokenFile;

    @Option(names = "--json", description = "Print the API's JSON instead of text")
    boolean json;

    @Spec
    CommandSpec spec;

    /** Thrown by {@link #call} when the API refused; the message is already printed. */
    static final class ApiError extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        ApiError(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /** --api, else $XVTEP_API, else the default socket; http(s)://HOST:PORT is taken as HOST:PORT. */
    ApiAddress address() {
        String a = api != null ? api : System.getenv("XVTEP_API");
        if (a == null || a.isBlank()) {
            return new ApiAddress(ApiAddress.DEFAULT_SOCKET, null, 0);
        }
        return ApiAddress.parse(a.replaceFirst("^https?://", ""));
    }

    String origin() {
        ApiAddress a = address();
        return a.unix() ? "unix:" + a.socket() : "http://" + a.host() + ":" + a.port();
    }

    String token() throws IOException {
        if (tokenFile != null) {
            return Files.readString(tokenFile).trim();
        }
        String t = System.getenv("XVTEP_TOKEN");
        return t == null || t.isBlank() ? null : t.trim();
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /**
     * One request under /api/v1 over the Unix socket or TCP: the status and the body as a stream (the
     * caller closes it). Prints "no agent" and throws ApiError(0) when nothing answers.
     */
    UnixHttp.Exchange exchange(String method, String path, String jsonBody)
            throws IOException, InterruptedException, ApiError {
        ApiAddress a = address();
        Map<String, String> headers = new LinkedHashMap<>();
        String t = token();
        if (t != null) {
            headers.put("Authorization", "Bearer " + t);
        }
        byte[] body = null;
        if (jsonBody != null) {
            headers.put("Content-Type", "application/json");
            body = jsonBody.getBytes(StandardCharsets.UTF_8);
        }
        try {
            if (a.unix()) {
                return UnixHttp.open(a.socket(), method, "/api/v1" + path, headers, body);
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(origin() + "/api/v1" + path));
            headers.forEach(b::header);
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            HttpResponse<java.io.InputStream> r = HttpClient.newHttpClient().send(b.build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            return new UnixHttp.Exchange(r.statusCode(), r.body());
        } catch (java.net.ConnectException e) {
            System.err.println("xvtep: no agent at " + origin() + " (" + e.getMessage() + "; is `xvtep agent` running,"
                    + " and may you use its socket?)");
            throw new ApiError(0, "no agent");
        }
    }

    /** One round trip; the body (possibly empty) on success, else prints the API's error and throws. */
    String call(String method, String path, Object body) throws IOException, InterruptedException, ApiError {
        String text = body == null ? null : body instanceof JsonObject o ? o.encode() : ((JsonArray) body).encode();
        int status;
        String response;
        try (UnixHttp.Exchange x = exchange(method, path, text)) {
            status = x.status();
            response = x.text();
        }
        if (status >= 400) {
            String msg = errorMessage(response);
            System.err.println("xvtep: " + msg);
            throw new ApiError(status, msg);
        }
        return response;
    }

    /** The API's error JSON as one line; other text as it came. */
    static String errorMessage(String body) {
        try {
            JsonObject err = new JsonObject(body);
            return err.getString("error") + (err.getString("field") != null ? " (" + err.getString("field") + ")" : "");
        } catch (RuntimeException e) {
            return body;
        }
    }

    /** Runs {@code body}, mapping an API refusal to exit code 1. */
    int run(Action a) throws Exception {
        try {
            a.run();
            System.out.flush();
            return 0;
        } catch (ApiError e) {
            return 1;
        }
    }

    interface Action {
        void run() throws Exception;
    }

    /** Prints the API's JSON as it came (for --json). */
    static void printRaw(String body) {
        if (!body.isEmpty()) {
            System.out.print(body.endsWith("\n") ? body : body + "\n");
        }
    }

    // ------------------------------------------------------------------ argument words

    /** A cursor over iproute2-style words: `vni 42 dst 1.2.3.4 self`. */
    final class Words {
        private final List<String> w;
        private int i;

        Words(List<String> words) {
            this.w = words == null ? List.of() : words;
        }

        boolean more() {
            return i < w.size();
        }

        String next() {
            return w.get(i++);
        }

        String peek() {
            return more() ? w.get(i) : null;
        }

        /** The value after keyword {@code kw}. */
        String value(String kw) {
            if (!more()) {
                throw usage("\"" + kw + "\" needs a value");
            }
            return next();
        }

        long number(String kw, long min, long max) {
            String v = value(kw);
            try {
                long n = Long.parseLong(v);
                if (n < min || n > max) {
                    throw usage(kw + " must be in " + min + ".." + max + ": " + v);
                }
                return n;
            } catch (NumberFormatException e) {
                throw usage(kw + " must be a number: " + v);
            }
        }

        /** A number or "inherit", as JSON. */
        Object numberOrInherit(String kw, long min, long max) {
            String v = peek();
            if ("inherit".equals(v) || ("auto".equals(v) && kw.equals("ttl"))) {
                next();
                return v;
            }
            return number(kw, min, max);
        }

        ParameterException unknown(String word) {
            return usage("unknown argument \"" + word + "\"");
        }
    }

    /**
     * The `[vni VNI]` filter of the show commands (with {@code bare}, also a plain `VNI`, as in
     * `xvtep stats 42`); null when absent.
     */
    Long vniFilter(List<String> words, boolean bare) {
        Words w = new Words(words);
        Long vni = null;
        while (w.more()) {
            String kw = w.next();
            if (kw.equals("vni")) {
                vni = vniNumber(this, w.value(kw));
            } else if (bare && vni == null && kw.matches("\\d+")) {
                vni = vniNumber(this, kw);
            } else {
                throw w.unknown(kw);
            }
        }
        return vni;
    }

    /** The `vni VNI` that must follow the object of a command (`port del c1 vni 42`). */
    long requiredVni(Words w, String command) {
        Long vni = null;
        while (w.more()) {
            String kw = w.next();
            if (kw.equals("vni")) {
                vni = vniNumber(this, w.value(kw));
            } else {
                throw w.unknown(kw);
            }
        }
        if (vni == null) {
            throw usage(command + " needs \"vni VNI\"");
        }
        return vni;
    }

    static long vniNumber(ClientCommand c, String text) {
        try {
            long v = Long.parseLong(text);
            if (v < 1 || v > 16_777_215) {
                throw c.usage("a VNI is 1..16777215: " + text);
            }
            return v;
        } catch (NumberFormatException e) {
            throw c.usage("not a VNI: " + text);
        }
    }
}
