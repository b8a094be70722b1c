package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.api.AgentHarness.Response;
import io.xvtep.testkit.Command;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * What the API refuses whatever the resource (unknown or malformed VNI in a path, unknown routes and
 * methods), the bearer token, and the served OpenAPI description.
 */
class AuthAndErrorsIT extends AgentApiBase {

    AuthAndErrorsIT() {
        super("p1");
    }

    @Test
    void unknownOrMalformedVniInPath() throws Exception {
        refused("GET", "/api/v1/vnis/4242", null, 404, "vni");
        refused("GET", "/api/v1/vnis/0", null, 400, "vni");
        refused("GET", "/api/v1/vnis/16777216", null, 400, "vni");
        refused("GET", "/api/v1/vnis/abc", null, 400, "vni");
        refused("DELETE", "/api/v1/vnis/4242", null, 404, "vni");
        refused("DELETE", "/api/v1/vnis/x", null, 400, "vni");
        refused("GET", "/api/v1/vnis/4242/ports", null, 404, "vni");
        refused("POST", "/api/v1/vnis/4242/ports", "{\"ifname\":\"p1\"}", 404, "vni");
        refused("DELETE", "/api/v1/vnis/4242/ports/p1", null, 404, "vni");
        refused("GET", "/api/v1/vnis/4242/fdb", null, 404, "vni");
        refused("POST", "/api/v1/vnis/4242/fdb", "{\"mac\":\"02:00:00:00:00:01\",\"dst\":\"198.18.0.2\"}", 404,
                "vni");
        refused("DELETE", "/api/v1/vnis/4242/fdb/02:00:00:00:00:01", null, 404, "vni");
        refused("GET", "/api/v1/vnis/4242/stats", null, 404, "vni");
        refused("GET", "/api/v1/nothing", null, 404, null);
        refused("PUT", "/api/v1/vnis", "{}", 405, null);
    }

    @Test
    void openApiIsServed() throws Exception {
        Response r = h.get("/api/v1/openapi.yaml");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).startsWith("openapi: 3").contains("/api/v1/vnis/{vni}/neigh/bulk:");
    }

    @Test
    void tokenAuthAndNonLoopbackRefusal() throws Exception {
        // without --token-file, a non-loopback --api is refused at start
        try {
            Command.Result p = h.netns.command("java", "-jar", h.jar.toString(), "agent", "--underlay", "ul0", "--api",
                    "198.18.0.1:" + (h.port + 1), "--pin-root", h.pinRoot + "-x").run();
            assertThat(p.exit()).isNotZero();
            assertThat(p.output()).contains("--token-file").contains("not a loopback address");
        } finally {
            io.xvtep.libbpf.Bpffs.removeTree(Path.of(h.pinRoot + "-x"));
        }
        // with a token: everything but /healthz needs it
        Path token = Files.createTempFile("xvtep-token", "");
        Files.writeString(token, "s3cret-token\n");
        h.stopAgent();
        h.agentArgs.addAll(List.of("--token-file", token.toString()));
        try {
            h.startAgent();
            assertThat(h.get("/healthz").status()).isEqualTo(200);
            Response r = h.get("/api/v1/vnis");
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.json().getString("error")).contains("token");
            assertThat(h.get("/metrics").status()).isEqualTo(401);
            h.headers.put("Authorization", "Bearer wrong");
            assertThat(h.get("/api/v1/vnis").status()).isEqualTo(401);
            h.headers.clear();
            h.headers.put("Authorization", "Bearer s3cret-token");
            assertThat(h.get("/api/v1/vnis").status()).isEqualTo(200);
            h.headers.clear();
            // the CLI: --token-file or XVTEP_TOKEN
            assertThat(h.cli("vni", "show").exit()).isEqualTo(1);
            assertThat(h.cli("vni", "show", "--token-file", token.toString()).exit()).isZero();
            assertThat(h.cli(Map.of("XVTEP_TOKEN", "s3cret-token"), "vni", "show").exit()).isZero();
        } finally {
            h.headers.clear();
            h.stopAgent();
            h.agentArgs.clear();
            Files.deleteIfExists(token);
            h.startAgent();
        }
    }
}
