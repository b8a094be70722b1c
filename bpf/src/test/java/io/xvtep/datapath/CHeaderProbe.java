package io.xvtep.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.xvtep.testkit.Command;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Asks the C compiler what bpf/include says: compiles a host program that includes the given
 * headers and prints each expression (sizeof, offsetof, a macro, an enum constant) as a
 * number, and returns name -> value. Java-side ABI tests compare their constants with it.
 */
final class CHeaderProbe {
    private CHeaderProbe() {
    }

    static Path include() {
        Path include = Path.of("include").toAbsolutePath();
        assumeTrue(Files.exists(include.resolve("xvtep_structs.h")), "bpf/include not found (run from bpf/)");
        return include;
    }

    /** name -> C expression of integer type; returns name -> value as the compiler computes it. */
    static Map<String, Long> eval(Path tmp, Iterable<String> headers, Map<String, String> exprs)
            throws IOException {
        Path include = include();
        String cc = Files.isExecutable(Path.of("/usr/bin/cc")) ? "/usr/bin/cc"
                : Files.isExecutable(Path.of("/usr/bin/clang")) ? "/usr/bin/clang" : null;
        assumeTrue(cc != null, "no C compiler");

        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n");
        headers.forEach(h -> c.append("#include \"").append(h).append("\"\n"));
        c.append("int main(void) {\n");
        exprs.forEach((name, expr) -> c.append("  printf(\"%s=%lld\\n\", \"").append(name)
                .append("\", (long long)(").append(expr).append("));\n"));
        c.append("  return 0;\n}\n");
        Path src = tmp.resolve("probe.c");
        Path bin = tmp.resolve("probe");
        Files.writeString(src, c);
        String arch = System.getProperty("os.arch").equals("aarch64") ? "aarch64" : "x86_64";
        Command.Result compiled = Command.of(cc, "-Wall", "-Werror", "-I", include.toString(),
                "-I", "/usr/include/" + arch + "-linux-gnu", "-o", bin.toString(), src.toString()).run();
        assertThat(compiled.exit()).as(compiled.output()).isZero();

        Map<String, Long> actual = new LinkedHashMap<>();
        for (String line : Command.of(bin.toString()).check().split("\n")) {
            int eq = line.lastIndexOf('=');
            actual.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1)));
        }
        return actual;
    }
}
