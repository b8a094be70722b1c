package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.xvtep.testkit.NetnsHttpClient;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Server-sent events: learn, l3miss and ageout reach the stream, filtered by VNI and type.
 */
class EventsApiIT extends AgentApiBase {

    EventsApiIT() {
        super("q2");
    }

    private static String waitFor(NetnsHttpClient.LineStream stream, long seconds, String... needles) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String s = "";
        while (System.nanoTime() < deadline) {
            s = stream.text();
            boolean all = true;
            for (String n : needles) {
                all &= s.contains(n);
            }
            if (all) {
                return s;
            }
            Thread.sleep(200);
        }
        return s;
    }

    @Test
    void eventsStreamLearnL3missAndAgeout() throws Exception {
        assertThat(h.post("/api/v1/vnis", vni(504, ",\"proxy\":true,\"l3miss\":true,\"ageing\":1")).status())
                .isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/504/ports", "{\"ifname\":\"q2\"}").status()).isEqualTo(201);
        try (NetnsHttpClient.LineStream all = h.stream("/api/v1/events?vni=504");
                NetnsHttpClient.LineStream onlyMiss = h.stream("/api/v1/events?type=l3miss")) {
            Thread.sleep(1000);
            String mac = h.in("ip", "-br", "link", "show", "dev", "q2c").trim().split("\\s+")[2];
            h.in("ip", "addr", "add", "10.33.0.1/24", "dev", "q2c");
            h.inQuiet("ping", "-c", "1", "-W", "1", "10.33.0.2");
            String s = waitFor(all, 20, "\"type\":\"learn\"", "\"type\":\"l3miss\"", "\"type\":\"ageout\"");
            List<JsonObject> evs = new ArrayList<>();
            for (String line : s.split("\n")) {
                if (line.startsWith("data: ")) {
                    evs.add(new JsonObject(line.substring(6)));
                }
            }
            assertThat(s).as(s).contains("\"type\":\"learn\"", "\"type\":\"l3miss\"", "\"type\":\"ageout\"");
            JsonObject learn = evs.stream().filter(e -> e.getString("type").equals("learn")).findFirst().orElseThrow();
            assertThat(learn.getInteger("vni")).isEqualTo(504);
            assertThat(learn.getString("mac")).isEqualTo(mac);
            assertThat(learn.getString("ifname")).isEqualTo("q2");
            assertThat(learn.getLong("ts")).isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(60_000L));
            JsonObject miss = evs.stream().filter(e -> e.getString("type").equals("l3miss")).findFirst().orElseThrow();
            assertThat(miss.getString("ip")).isEqualTo("10.33.0.2");
            JsonObject age = evs.stream().filter(e -> e.getString("type").equals("ageout")).findFirst().orElseThrow();
            assertThat(age.getString("mac")).isEqualTo(mac);
            // SSE framing: each event a data line followed by a blank line
            assertThat(s).contains("\n\ndata: ");
            String m = onlyMiss.text();
            assertThat(m).contains("\"type\":\"l3miss\"").doesNotContain("\"type\":\"learn\"");
        }
        refused("GET", "/api/v1/events?type=bogus", null, 400, "type");
        assertThat(h.delete("/api/v1/vnis/504").status()).isEqualTo(204);
    }
}
