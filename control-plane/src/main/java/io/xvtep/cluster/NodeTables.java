package io.xvtep.cluster;

import io.xvtep.cluster.Keys.Ep;
import io.xvtep.cluster.StoreRecords.VniRecord;
import io.xvtep.model.IpAddress;
import io.xvtep.model.IpAddress.Family;
import io.xvtep.model.Mac;

import java.net.InetAddress;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the cluster reads from and writes to this node, in the cluster's own terms. The one
 * way from the cluster package to the node (implemented by {@link ServiceNodeTables}); nothing in
 * the package reaches the maps or the service otherwise. Called on the cluster thread only.
 */
public interface NodeTables {

    /** An FDB entry as the cluster sees it. */
    record Fdb(IpAddress remote, int ifindex, boolean isStatic, boolean isCluster) {
        /** Behind a local port, put there by the datapath's learning or an operator (what this node claims). */
        public boolean isLocal() {
            return ifindex != 0 && !isCluster;
        }
    }

    /** A flood destination and whether the cluster added it. */
    record Flood(IpAddress dst, boolean isCluster) {
    }

    /** VNIs created, changed or deleted on this node by anyone but the cluster itself (the API). */
    interface VniChanges {
        void created(int vni, VniRecord now);

        void updated(int vni, VniRecord now);

        void deleted(int vni);
    }

    // ---- VNIs

    Set<Integer> vnis();

    /** The underlay family of a VNI of this node (empty: no such VNI): its VTEPs are of that family. */
    Optional<Family> family(int vni);

    /** The VNI's definition as the store holds it (empty: no such VNI here). */
    Optional<VniRecord> vni(int vni);

    /** Creates the VNI from a stored definition; a refusal throws with the service's message. */
    void createVni(VniRecord r);

    /** Applies the stored definition's options ({@link VniRecord#OPTIONS}) to the local VNI. */
    void updateVni(VniRecord r);

    void deleteVni(int vni);

    /** The VNI's learning limit ({@code maxaddress}; 0: none of its own, or no such VNI). */
    long maxaddress(int vni);

    /** Registers the listener for changes made by others (those made through this interface are not reported). */
    void onVniChanges(VniChanges l);

    /**
     * Registers {@code changed}, run when the API changed what is local to this node (a port, a MAC
     * pinned to a port, a neighbour entry, a deleted entry), possibly with the node's lock held: it
     * must only hand work over.
     */
    void onLocalChanges(Runnable changed);

    /** VNIs this node has local ports in. */
    Set<Integer> vnisWithPorts();

    // ---- FDB

    Optional<Fdb> fdb(Ep ep);

    /** Every FDB entry (a bulk read: one walk of the table). */
    Map<Ep, Fdb> fdbAll();

    /**
     * Cluster entries: puts (remote VTEP, type cluster) and deletes of cluster entries only. A put
     * never replaces an operator's (static) entry.
     */
    void writeFdb(Map<Ep, IpAddress> puts, Collection<Ep> deletes);

    // ---- neighbours (the ARP/ND proxy's table)

    Map<InetAddress, Mac> neigh(int vni);

    void putNeigh(int vni, InetAddress ip, Mac mac);

    /** Removes the entry of {@code ip} if it still names {@code mac} (one the operator re-pointed stays). */
    void deleteNeigh(int vni, InetAddress ip, Mac mac);

    // ---- flood lists

    List<Flood> flood(int vni);

    /** Adds {@code dst} as a cluster flood destination; false when the VNI is missing or its list full. */
    boolean addClusterFlood(int vni, IpAddress dst);

    /** Removes {@code dst} if the cluster added it (an operator's entry stays). */
    void removeClusterFlood(int vni, IpAddress dst);

    /** Largest flood list (for the message when one is full). */
    int maxFlood();
}
