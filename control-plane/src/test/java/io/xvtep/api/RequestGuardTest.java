package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.HttpMethod;

import java.util.Set;

import org.junit.jupiter.api.Test;

/** The Host and content-type rules on their own (the agent-level cases are in ApiSafetyIT). */
class RequestGuardTest {

    @Test
    void hostMustNameThisAgent() {
        RequestGuard loopback = new RequestGuard("127.0.0.1", Set.of("node1.example"), Set.of());
        for (String ok : new String[] {"127.0.0.1:8470", "127.0.0.1", "localhost", "LOCALHOST:1", "[::1]:8470",
                "127.0.0.53", "node1.example:8470", "localhost."}) {
            assertThat(loopback.hostAllowed(ok)).as(ok).isTrue();
        }
        for (String bad : new String[] {"evil.example", "evil.example:8470", "127.0.0.1.nip.io", "localhost.evil",
                "198.51.100.7", "[2001:db8::1]", "[::1", "0x7f000001", "2130706433"}) {
            assertThat(loopback.hostAllowed(bad)).as(bad).isFalse();
        }
        // Bound to every address (with a token): any IP literal, still no foreign name.
        RequestGuard wildcard = new RequestGuard("0.0.0.0", Set.of(), Set.of());
        assertThat(wildcard.hostAllowed("198.51.100.7:8470")).isTrue();
        assertThat(wildcard.hostAllowed("evil.example")).isFalse();
        // A Unix socket: loopback names only.
        assertThat(new RequestGuard(null, Set.of(), Set.of()).hostAllowed("localhost")).isTrue();
    }

    @Test
    void onlyJsonBodiesAndPerRouteLimits() {
        assertThat(RequestGuard.isJson("application/json")).isTrue();
        assertThat(RequestGuard.isJson("Application/JSON; charset=utf-8")).isTrue();
        for (String t : new String[] {null, "", "text/plain", "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x", "application/json-patch+json", "application/jsonx"}) {
            assertThat(RequestGuard.isJson(t)).as(String.valueOf(t)).isFalse();
        }
        assertThat(RequestGuard.bodyLimit(HttpMethod.GET, "/api/v1/vnis")).isZero();
        assertThat(RequestGuard.bodyLimit(HttpMethod.DELETE, "/api/v1/vnis/4")).isZero();
        assertThat(RequestGuard.bodyLimit(HttpMethod.POST, "/api/v1/vnis")).isEqualTo(ApiRouter.BODY_LIMIT);
        assertThat(RequestGuard.bodyLimit(HttpMethod.POST, "/api/v1/vnis/4/fdb/bulk")).isEqualTo(ApiRouter.BULK_BODY_LIMIT);
    }
}
