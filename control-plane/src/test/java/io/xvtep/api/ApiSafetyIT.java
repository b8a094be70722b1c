package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.api.AgentHarness.Response;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile requests against a real agent (issue 11): a web page's cross-site POST, a DNS-rebinding
 * Host, non-JSON and multipart bodies, oversized bodies, and ports that would cut the host off
 * (loopback, the underlay's uppers, the default-route device). Each is refused with a clear 4xx,
 * changes no map byte, and /healthz answers afterwards.
 */
class ApiSafetyIT extends AgentApiBase {

    ApiSafetyIT() {
        super("s1");
    }

    @BeforeAll
    void createVni() {
        assertThat(h.post("/api/v1/vnis", vni(4242, "")).status()).isEqualTo(201);
    }

    /** curl in the agent's namespace with exactly the given arguments (no Content-Type added). */
    private Response curl(String method, String path, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + h.ns, "curl", "-s", "-g",
                "--max-time", "60", "-o", "-", "-w", "\n%{http_code}", "-X", method));
        cmd.addAll(List.of(args));
        cmd.add("http://127.0.0.1:" + h.port + path);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        int nl = out.lastIndexOf('\n');
        return new Response(Integer.parseInt(out.substring(nl + 1).trim()), out.substring(0, nl));
    }

    private void refusedUnchanged(int status, String method, String path, String... args) throws Exception {
        Map<String, Map<String, String>> before = h.snapshot();
        Response r = curl(method, path, args);
        assertThat(r.status()).as(method + " " + path + " " + List.of(args) + " -> " + r.body()).isEqualTo(status);
        assertThat(r.json().getString("error")).isNotBlank();
        assertThat(h.snapshot()).as("maps after refused " + method + " " + path).isEqualTo(before);
        assertThat(h.get("/healthz").status()).isEqualTo(200);
    }

    @Test
    void crossSiteSimplePostIsRefused() throws Exception {
        // The issue's reproduction: what a web page's form/fetch in no-cors mode can send without a preflight.
        refusedUnchanged(403, "POST", "/api/v1/vnis", "-H", "Host: evil.example:" + h.port,
                "-H", "Origin: http://evil.example", "-H", "Content-Type: text/plain",
                "--data-binary", "{\"vni\":4243,\"remote\":\"198.18.0.200\"}");
        // Each rule alone, with the others satisfied.
        refusedUnchanged(403, "POST", "/api/v1/vnis", "-H", "Origin: http://evil.example",
                "-H", "Content-Type: application/json", "--data-binary", "{\"vni\":4243,\"remote\":\"198.18.0.200\"}");
        refusedUnchanged(415, "POST", "/api/v1/vnis", "-H", "Content-Type: text/plain",
                "--data-binary", "{\"vni\":4243,\"remote\":\"198.18.0.200\"}");
        refusedUnchanged(415, "POST", "/api/v1/vnis", "-H", "Content-Type: application/x-www-form-urlencoded",
                "--data-binary", "{\"vni\":4243,\"remote\":\"198.18.0.200\"}");
        refusedUnchanged(415, "PATCH", "/api/v1/vnis/4242", "--data-binary", "{\"learning\":false}",
                "-H", "Content-Type:");
        // An Origin is refused on reads too (a page's EventSource or fetch), DELETE as well.
        refusedUnchanged(403, "GET", "/api/v1/vnis", "-H", "Origin: http://evil.example");
        refusedUnchanged(403, "DELETE", "/api/v1/vnis/4242", "-H", "Origin: null");
        // What the CLI, curl and the lab send passes.
        assertThat(curl("POST", "/api/v1/vnis/4242/fdb", "-H", "Content-Type: application/json; charset=utf-8",
                "--data-binary", "{\"mac\":\"02:00:00:00:09:01\",\"dst\":\"198.18.0.9\"}").status()).isEqualTo(201);
        assertThat(h.delete("/api/v1/vnis/4242/fdb/02:00:00:00:09:01").status()).isEqualTo(204);
    }

    @Test
    void foreignHostIsRefused() throws Exception {
        // DNS rebinding: a name the attacker controls resolving to 127.0.0.1; the browser sends that name.
        refusedUnchanged(403, "GET", "/api/v1/vnis", "-H", "Host: evil.example:" + h.port);
        refusedUnchanged(403, "GET", "/metrics", "-H", "Host: evil.example");
        refusedUnchanged(403, "DELETE", "/api/v1/vnis/4242", "-H", "Host: rebind.127.0.0.1.nip.io");
        refusedUnchanged(403, "GET", "/api/v1/vnis", "-H", "Host: 198.51.100.7");
        for (String ok : List.of("127.0.0.1:" + h.port, "localhost:" + h.port, "localhost", "127.0.0.1",
                "[::1]:" + h.port)) {
            assertThat(curl("GET", "/api/v1/vnis", "-H", "Host: " + ok).status()).as(ok).isEqualTo(200);
        }
    }

    @Test
    void multipartUploadIsRefusedAndWritesNothing() throws Exception {
        Path upload = Files.createTempFile("xvtep-upload", ".bin");
        try {
            Files.write(upload, new byte[15 * 1024 * 1024]);
            Path uploads = Path.of("file-uploads").toAbsolutePath(); // Vert.x's default, under the agent's cwd
            long filesBefore = count(uploads);
            for (String path : List.of("/api/v1/vnis/4242/fdb/bulk", "/api/v1/vnis/4242/neigh/bulk", "/api/v1/vnis")) {
                refusedUnchanged(415, "POST", path, "-F", "entries=@" + upload);
            }
            assertThat(count(uploads)).as("files under " + uploads).isEqualTo(filesBefore);
        } finally {
            Files.deleteIfExists(upload);
        }
    }

    private static long count(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (var s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void bodiesAreBoundedPerRoute() throws Exception {
        Path big = Files.createTempFile("xvtep-body", ".json");
        try {
            // 100 kB of JSON on an ordinary route (limit 64 kB): refused before it is parsed.
            Files.writeString(big, "{\"vni\":4244,\"remote\":\"198.18.0.2\",\"x\":\"" + "a".repeat(100_000) + "\"}");
            refusedUnchanged(413, "POST", "/api/v1/vnis", "-H", "Content-Type: application/json",
                    "--data-binary", "@" + big);
            // The same, chunked (no Content-Length to check up front).
            refusedUnchanged(413, "POST", "/api/v1/vnis", "-H", "Content-Type: application/json",
                    "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + big);
            // Reads and deletes take no body at all.
            refusedUnchanged(413, "GET", "/api/v1/vnis", "-H", "Content-Type: application/json",
                    "--data-binary", "{}");
            refusedUnchanged(413, "DELETE", "/api/v1/vnis/4242", "-H", "Content-Type: application/json",
                    "--data-binary", "{}");
            // 100 kB is fine on a bulk route (limit 16 MB): refused by validation, not by size.
            Files.writeString(big, "{\"entries\":[],\"x\":\"" + "a".repeat(100_000) + "\"}");
            Response r = curl("POST", "/api/v1/vnis/4242/fdb/bulk", "-H", "Content-Type: application/json",
                    "--data-binary", "@" + big);
            assertThat(r.status()).as(r.body()).isEqualTo(400);
        } finally {
            Files.deleteIfExists(big);
        }
    }

    @Test
    void portsThatWouldCutTheHostOffAreRefused() throws Exception {
        // The issue's reproduction: lo as a port took the API down, and every restart re-attached it.
        refusedUnchanged(409, "POST", "/api/v1/vnis/4242/ports", "-H", "Content-Type: application/json",
                "--data-binary", "{\"ifname\":\"lo\"}");
        // The underlay itself, its veth peer (the wire), an upper of it (macvlan on ul0).
        for (String ul : List.of("ul0", "ul1")) {
            refusedUnchanged(409, "POST", "/api/v1/vnis/4242/ports", "-H", "Content-Type: application/json",
                    "--data-binary", "{\"ifname\":\"" + ul + "\"}");
        }
        h.in("ip", "link", "add", "mv0", "link", "ul0", "type", "macvlan", "mode", "bridge");
        refusedUnchanged(409, "POST", "/api/v1/vnis/4242/ports", "-H", "Content-Type: application/json",
                "--data-binary", "{\"ifname\":\"mv0\"}");
        // The device carrying the host's default route.
        h.in("ip", "link", "add", "gw0", "type", "veth", "peer", "name", "gw1");
        h.in("ip", "addr", "add", "198.18.7.1/24", "dev", "gw0");
        h.in("ip", "link", "set", "gw0", "up");
        h.in("ip", "link", "set", "gw1", "up");
        h.in("ip", "route", "add", "default", "via", "198.18.7.2", "dev", "gw0");
        refusedUnchanged(409, "POST", "/api/v1/vnis/4242/ports", "-H", "Content-Type: application/json",
                "--data-binary", "{\"ifname\":\"gw0\"}");
        // Not Ethernet: a layer-3 tun device.
        h.in("ip", "tuntap", "add", "tn0", "mode", "tun");
        refusedUnchanged(409, "POST", "/api/v1/vnis/4242/ports", "-H", "Content-Type: application/json",
                "--data-binary", "{\"ifname\":\"tn0\"}");
        // An ordinary veth is accepted, and only once.
        assertThat(h.post("/api/v1/vnis/4242/ports", "{\"ifname\":\"s1\"}").status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis", "{\"vni\":4245,\"dstport\":4789,\"remote\":\"198.18.0.2\"}").status())
                .isEqualTo(201);
        refusedUnchanged(409, "POST", "/api/v1/vnis/4245/ports", "-H", "Content-Type: application/json",
                "--data-binary", "{\"ifname\":\"s1\"}");
        assertThat(h.delete("/api/v1/vnis/4242/ports/s1").status()).isEqualTo(204);
        assertThat(h.delete("/api/v1/vnis/4245").status()).isEqualTo(204);
    }

    @Test
    void aPortThatWouldCutTheHostOffIsDroppedAtStartNotReattached() throws Exception {
        // An agent accepted s2 as a port; then the host's default route moved onto it. The next start must
        // not re-attach it (that is how lo kept the API dead across restarts): it is dropped and reported.
        h.in("ip", "link", "add", "s2", "type", "veth", "peer", "name", "s2c");
        h.in("ip", "link", "set", "s2", "up");
        h.in("ip", "link", "set", "s2c", "up");
        assertThat(h.post("/api/v1/vnis/4242/ports", "{\"ifname\":\"s2\"}").status()).isEqualTo(201);
        h.stopAgent();
        h.in("ip", "addr", "add", "198.18.8.1/24", "dev", "s2");
        h.in("ip", "route", "replace", "default", "via", "198.18.8.2", "dev", "s2");
        try {
            h.startAgent();
            assertThat(h.get("/api/v1/vnis/4242/ports").array().encode()).doesNotContain("\"s2\"");
            assertThat(Files.readString(h.log)).contains("port s2 of VNI 4242 removed: s2 carries the host's default route");
            assertThat(h.get("/healthz").status()).isEqualTo(200);
        } finally {
            h.in("ip", "route", "del", "default", "dev", "s2");
        }
    }
}
