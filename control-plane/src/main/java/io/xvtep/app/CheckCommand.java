package io.xvtep.app;

import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.MapNames;
import io.xvtep.datapath.Invariants;
import io.xvtep.libbpf.BpfMap;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `xvtep check`: reads the pinned maps and verifies what must hold whatever moment an agent was killed at
 * (io.xvtep.datapath.Invariants): refcounts, dense lists, no orphans, no unfinished bulk write. It only
 * reads; the agent repairs at its start. Run it with the agent stopped or idle: a write in flight can look
 * like a violation for a moment.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Verify the invariants of the pinned maps; exit 1 listing each violation, 0 when consistent.",
                "Read-only: a restarted agent repairs what this reports."})
public final class CheckCommand implements Callable<Integer> {

    @Option(names = "--pin-root", paramLabel = "DIR", description = "bpffs directory of the pinned maps (default: "
            + AgentCommand.DEFAULT_PIN_ROOT + ")")
    Path pinRoot = Path.of(AgentCommand.DEFAULT_PIN_ROOT);

    @Override
    public Integer call() {
        if (!Files.exists(pinRoot.resolve(MapNames.VNIS))) {
            System.err.println("xvtep check: no xvtep maps pinned in " + pinRoot);
            return 1;
        }
        Map<String, BpfMap> opened = new LinkedHashMap<>();
        try {
            List<String> violations = new ArrayList<>();
            if (Datapath.unfinishedBulk(pinRoot)) {
                violations.add("a bulk FDB write is unfinished (the next agent start rolls it back)");
            }
            violations.addAll(new Invariants(n -> opened.computeIfAbsent(n, x -> BpfMap.openPinned(pinRoot.resolve(x))))
                    .check());
            for (String v : violations) {
                System.out.println("xvtep check: " + v);
            }
            int vnis = opened.get(MapNames.VNIS).keys().size();
            int ports = opened.get(MapNames.PORTS).keys().size();
            int fdb = opened.get(MapNames.FDB).keys().size();
            System.out.println("xvtep check: " + pinRoot + ": " + vnis + " VNIs, " + ports + " ports, " + fdb
                    + " FDB entries: " + (violations.isEmpty() ? "consistent" : violations.size() + " violation(s)"));
            return violations.isEmpty() ? 0 : 1;
        } finally {
            opened.values().forEach(BpfMap::close);
        }
    }
}
