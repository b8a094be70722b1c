package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.xvtep.service.VniOption;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Every route ApiRouter serves is described in the hand-written OpenAPI document, and nothing more. */
class OpenApiCoverageTest {

    /** path -> methods, read from the document's `paths:` section (two-space path keys, four-space methods). */
    static Map<String, Set<String>> documented(String yaml) {
        Map<String, Set<String>> m = new HashMap<>();
        String current = null;
        boolean inPaths = false;
        for (String line : yaml.split("\n")) {
            if (!line.startsWith(" ")) {
                inPaths = line.startsWith("paths:");
                current = null;
                continue;
            }
            if (!inPaths) {
                continue;
            }
            if (line.matches("  /\\S*:\\s*")) {
                current = line.trim().substring(0, line.trim().length() - 1);
                m.put(current, new HashSet<>());
            } else if (current != null && line.matches("    (get|post|put|patch|delete):.*")) {
                m.get(current).add(line.trim().substring(0, line.trim().indexOf(':')));
            }
        }
        return m;
    }

    @Test
    void everyRouteIsDocumented() throws Exception {
        Map<String, Set<String>> doc = documented(ApiRouter.openapi());
        Vertx vertx = Vertx.vertx();
        try {
            Map<String, Set<String>> served = new HashMap<>();
            for (Route r : new ApiRouter(vertx, null, () -> true, () -> "", new EventHub(), null).router().getRoutes()) {
                if (r.getPath() == null || r.methods() == null || r.methods().isEmpty()) {
                    continue; // the catch-all handlers (auth, body)
                }
                String path = r.getPath().replaceAll(":([A-Za-z_]+)", "{$1}");
                for (HttpMethod m : r.methods()) {
                    served.computeIfAbsent(path, k -> new HashSet<>()).add(m.name().toLowerCase(Locale.ROOT));
                }
            }
            assertThat(served).isNotEmpty();
            for (Map.Entry<String, Set<String>> e : served.entrySet()) {
                assertThat(doc).as("OpenAPI paths").containsKey(e.getKey());
                assertThat(doc.get(e.getKey())).as("methods of " + e.getKey()).containsAll(e.getValue());
            }
            // and the document promises nothing the router does not serve
            assertThat(served.keySet()).containsAll(doc.keySet());
            assertThat(ApiRouter.openapi()).contains("Error:", "field:", "bearer");
        } finally {
            vertx.close();
        }
    }

    /** The property names of a schema: keys indented {@code indent} spaces in the schema's block. */
    static Set<String> properties(String yaml, String schema, int indent) {
        Set<String> names = new HashSet<>();
        boolean in = false;
        for (String line : yaml.split("\n")) {
            if (line.matches("    \\w+:\\s*")) {
                in = line.trim().equals(schema + ":");
                continue;
            }
            if (in && line.matches(" {" + indent + "}\\w+: .*")) {
                names.add(line.trim().substring(0, line.trim().indexOf(':')));
            }
        }
        return names;
    }

    @Test
    void everyVniOptionIsDocumentedWithItsMutability() throws Exception {
        String yaml = ApiRouter.openapi();
        // VniOptions: what a PATCH may change; VniCreate adds the immutable ones
        assertThat(properties(yaml, "VniOptions", 8)).containsExactlyInAnyOrderElementsOf(VniOption.mutableNames());
        assertThat(properties(yaml, "VniCreate", 12)).containsExactlyInAnyOrderElementsOf(VniOption.immutableNames());
    }
}
