package io.xvtep.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.cluster.Keys.Ep;
import io.xvtep.cluster.NodeTables.Fdb;
import io.xvtep.cluster.NodeTables.Flood;
import io.xvtep.datapath.Capacities;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Mac;
import io.xvtep.service.ServicesOnMaps;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The seam from the cluster to the node: {@link ServiceNodeTables} on the real services and maps. Every
 * write the programmers make (puts and deletes of cluster FDB entries, neighbour entries, flood
 * destinations) read back from the maps: a delete that the service refuses, or that removes an operator's
 * entry, shows here (the cluster delete of d77ead7 built an entry without a destination, which threw, so
 * no withdrawn endpoint was ever removed; only itests caught it).
 */
class ServiceNodeTablesTest {

    static final Capacities SMALL = new Capacities(32768, 1024, 16, 16);
    static final IpAddress H2 = IpAddress.parse("198.18.0.12");
    static final IpAddress H3 = IpAddress.parse("198.18.0.13");
    static final Mac A = Mac.parse("02:00:00:00:0a:01");
    static final Mac B = Mac.parse("02:00:00:00:0b:01");

    ServicesOnMaps node;
    ServiceNodeTables tables;

    @BeforeEach
    void open() {
        node = new ServicesOnMaps(SMALL);
        node.vni(42);
        tables = new ServiceNodeTables(node.services);
    }

    @AfterEach
    void close() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void clusterEntriesAreWrittenAndDeletedByKey() {
        Map<Ep, IpAddress> puts = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 20; i++) { // more than 8: the batch path too
            puts.put(new Ep(42, Mac.parse(String.format("02:00:00:00:01:%02x", i))), H2);
        }
        puts.put(new Ep(42, A), H3);
        tables.writeFdb(puts, List.of());
        assertThat(tables.fdb(new Ep(42, A))).contains(new Fdb(H3, 0, false, true));
        assertThat(tables.fdbAll()).hasSize(21);

        tables.writeFdb(Map.of(), List.of(new Ep(42, A))); // one delete: the single path
        assertThat(tables.fdb(new Ep(42, A))).isEmpty();
        tables.writeFdb(Map.of(), puts.keySet()); // 20 more (A gone already): the batch path
        assertThat(tables.fdbAll()).isEmpty();
    }

    @Test
    void deleteAndPutInOneWrite() {
        tables.writeFdb(Map.of(new Ep(42, A), H2), List.of());
        tables.writeFdb(Map.of(new Ep(42, B), H3), List.of(new Ep(42, A)));
        assertThat(tables.fdbAll()).containsOnlyKeys(new Ep(42, B));
    }

    @Test
    void deletesLeaveOperatorAndLocalEntriesAlone() {
        node.services.fdb().add(new io.xvtep.model.Vni(42), A, H3, null); // an operator's static entry
        tables.writeFdb(Map.of(new Ep(42, A), H2), List.of()); // a put never replaces it
        assertThat(tables.fdb(new Ep(42, A))).contains(new Fdb(H3, 0, true, false));
        tables.writeFdb(Map.of(), List.of(new Ep(42, A), new Ep(42, B))); // nor does a delete remove it
        assertThat(tables.fdb(new Ep(42, A))).contains(new Fdb(H3, 0, true, false));
        // a delete of a missing entry, and in a missing VNI, is nothing
        tables.writeFdb(Map.of(), List.of(new Ep(43, A)));
    }

    @Test
    void neighbourDeleteRemovesOnlyTheClustersEntry() throws Exception {
        InetAddress ip = InetAddress.getByName("10.20.1.11");
        tables.putNeigh(42, ip, A);
        assertThat(tables.neigh(42)).containsEntry(ip, A);
        tables.deleteNeigh(42, ip, A);
        assertThat(tables.neigh(42)).isEmpty();
        // the operator re-pointed the address meanwhile: the cluster's delete (of A's) leaves it
        tables.putNeigh(42, ip, A);
        node.services.neigh().delete(new io.xvtep.model.Vni(42), new IpAddress(ip));
        node.services.neigh().add(new io.xvtep.model.Vni(42), new IpAddress(ip), B);
        tables.deleteNeigh(42, ip, A);
        assertThat(tables.neigh(42)).containsEntry(ip, B);
    }

    @Test
    void clusterFloodDestinationsAddAndRemove() {
        node.services.fdb().add(new io.xvtep.model.Vni(42), Mac.ZERO, H3, null); // an operator's
        assertThat(tables.addClusterFlood(42, H2)).isTrue();
        assertThat(tables.flood(42)).containsExactlyInAnyOrder(new Flood(H3, false), new Flood(H2, true));
        tables.removeClusterFlood(42, H2);
        tables.removeClusterFlood(42, H3); // not the cluster's: it stays
        assertThat(tables.flood(42)).containsExactly(new Flood(H3, false));
        assertThat(tables.addClusterFlood(43, H2)).isFalse(); // no such VNI
    }

    /**
     * An operator's flood entry removed from before a cluster entry: the list stays dense (the last entry
     * moves into the hole) and the moved entry is still the cluster's, so the cluster can remove it later
     * (a rewrite with flags 0 left a stale cluster destination for the agent's lifetime).
     */
    @Test
    void aClusterFloodEntryKeepsItsOriginThroughAnIndexMove() {
        IpAddress h4 = IpAddress.parse("198.18.0.14");
        node.services.fdb().add(new io.xvtep.model.Vni(42), Mac.ZERO, H3, null); // an operator's, index 0
        assertThat(tables.addClusterFlood(42, H2)).isTrue(); // index 1
        assertThat(tables.addClusterFlood(42, h4)).isTrue(); // index 2
        node.services.fdb().delete(new io.xvtep.model.Vni(42), Mac.ZERO, H3); // h4 moves to index 0
        assertThat(tables.flood(42)).containsExactly(new Flood(h4, true), new Flood(H2, true));
        tables.removeClusterFlood(42, h4);
        tables.removeClusterFlood(42, H2);
        assertThat(tables.flood(42)).isEmpty();
    }
}
