package io.xvtep.service;

import io.xvtep.model.IpAddress;

/** Told about what the services changed, e.g. to (un)register meters or join multicast groups. */
public interface VtepListener {

    default void vniCreated(int vni) {
    }

    default void vniDeleted(int vni) {
    }

    /** The VNI's options were changed (PATCH); called with the services' lock held. */
    default void vniUpdated(int vni) {
    }

    /** A remote VTEP became a destination (flood list or FDB): its underlay neighbour is needed. */
    default void vtepAdded(IpAddress vtep) {
    }

    /**
     * The API changed what is local to this host in the VNI (a port, a MAC pinned to a port, a
     * neighbour entry, a deleted entry): cluster mode publishes it now rather than at its next
     * scan. Called with the services' lock held: hand the work over, never block.
     */
    default void localChanged(int vni) {
    }

    /** The reaper removed a learned entry that outlived its VNI's ageing time (an AGEOUT event). */
    default void fdbAged(VtepEvent ageout) {
    }
}
