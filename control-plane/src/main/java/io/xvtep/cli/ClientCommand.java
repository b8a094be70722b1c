package io.xvtep.cli;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import picocli.CommandLine.Option;

/** Shared by the client commands: where the agent listens, and one HTTP round trip. */
public abstract class ClientCommand {

    @Option(names = "--api", paramLabel = "HOST:PORT",
            description = "Agent API address (default: $XVTEP_API or 127.0.0.1:8470)")
    String api;

    String base() {
        String a = api != null ? api : System.getenv().getOrDefault("XVTEP_API", "127.0.0.1:8470");
        return (a.startsWith("http://") ? a : "http://" + a) + "/api/v1";
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Sends the request, prints the JSON answer (or the error) and returns the exit code. */
    int request(String method, String path, JsonObject body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(60));
        if (body != null) {
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body.encode()));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r;
        try {
            r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException e) {
            System.err.println("xvtep: no agent at " + base() + " (is `xvtep agent` running?)");
            return 2;
        }
        if (r.statusCode() >= 400) {
            String msg = r.body();
            try {
                JsonObject err = new JsonObject(r.body());
                msg = err.getString("error") + (err.getString("field") != null ? " (" + err.getString("field") + ")"
                        : "");
            } catch (RuntimeException e) {
                // not JSON: print as is
            }
            System.err.println("xvtep: " + msg);
            return 1;
        }
        if (!r.body().isEmpty()) {
            System.out.print(r.body());
        }
        return 0;
    }
}
