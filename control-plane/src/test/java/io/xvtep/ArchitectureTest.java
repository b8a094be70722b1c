package io.xvtep;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.Location;
import io.xvtep.app.Main;
import io.xvtep.datapath.Datapath;
import io.xvtep.libbpf.BpfMap;

import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dependency rule of README's "Architecture" section, checked on the compiled classes of
 * every module (control plane, datapath, libbpf binding):
 *
 *   app -> {api, cluster, metrics, cli} -> service -> {datapath, host} -> libbpf; model for all.
 *
 * Nothing points upward, the four front packages do not know each other, only the service
 * layer (and app, to load and attach) touches the datapath, and no package cycle exists.
 */
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        // the main classes of our three modules (classes directories, or jars), nothing else of the classpath
        Set<Location> modules = Stream.of(Main.class, Datapath.class, BpfMap.class)
                .map(c -> Location.of(c.getProtectionDomain().getCodeSource().getLocation()))
                .collect(Collectors.toSet());
        classes = new ClassFileImporter().importLocations(modules);
    }

    @Test
    void layersDependDownwardOnly() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("app").definedBy("io.xvtep.app..")
                .layer("api").definedBy("io.xvtep.api..")
                .layer("cluster").definedBy("io.xvtep.cluster..")
                .layer("metrics").definedBy("io.xvtep.metrics..")
                .layer("cli").definedBy("io.xvtep.cli..")
                .layer("service").definedBy("io.xvtep.service..")
                .layer("datapath").definedBy("io.xvtep.datapath..")
                .layer("host").definedBy("io.xvtep.host..")
                .layer("libbpf").definedBy("io.xvtep.libbpf..")
                .layer("model").definedBy("io.xvtep.model..")
                .whereLayer("app").mayNotBeAccessedByAnyLayer()
                .whereLayer("api").mayOnlyBeAccessedByLayers("app")
                .whereLayer("cluster").mayOnlyBeAccessedByLayers("app")
                .whereLayer("metrics").mayOnlyBeAccessedByLayers("app")
                .whereLayer("cli").mayOnlyBeAccessedByLayers("app")
                .whereLayer("service").mayOnlyBeAccessedByLayers("app", "api", "cluster", "metrics", "cli")
                .whereLayer("datapath").mayOnlyBeAccessedByLayers("service", "app")
                .whereLayer("host").mayOnlyBeAccessedByLayers("service", "app")
                .whereLayer("libbpf").mayOnlyBeAccessedByLayers("datapath", "host", "app")
                .check(classes);
    }

    @Test
    void modelDependsOnNothingOfOurs() {
        noClasses().that().resideInAPackage("io.xvtep.model..").should().dependOnClassesThat()
                .resideInAnyPackage("io.xvtep.app..", "io.xvtep.api..", "io.xvtep.cluster..", "io.xvtep.metrics..",
                        "io.xvtep.cli..", "io.xvtep.service..", "io.xvtep.datapath..", "io.xvtep.host..",
                        "io.xvtep.libbpf..")
                .check(classes);
    }

    @Test
    void noPackageCycles() {
        slices().matching("io.xvtep.(*)..").should().beFreeOfCycles().check(classes);
    }
}
