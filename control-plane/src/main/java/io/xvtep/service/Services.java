package io.xvtep.service;

import io.xvtep.datapath.Datapath;

import java.util.function.Consumer;

/**
 * The VTEP's operations, one service per resource, in kernel vocabulary (vni, fdb, neigh,
 * dstport, learning, ageing ...). They share one lock and one set of listeners; the maps are
 * the only state, so an agent restart (or another writer such as the cluster sync) never
 * leaves them stale.
 */
public final class Services {

    private final Vteps v;
    private final VniService vnis;
    private final PortService ports;
    private final FdbService fdb;
    private final NeighService neigh;
    private final Housekeeping housekeeping;
    private final StatsService stats;

    /**
     * @param underlayIfindex the underlay (never a port)
     * @param locals the outer source of VNIs without their own local address, per family
     * @param underlayMtu the underlay's MTU (a VNI's MTU is at most 50 below it)
     * @param defaultSrcports the outer UDP source port range of VNIs without their own
     */
    public Services(Datapath dp, int underlayIfindex, Locals locals, int underlayMtu, int[] defaultSrcports) {
        this.v = new Vteps(dp, underlayIfindex, locals, underlayMtu, defaultSrcports);
        this.vnis = new VniService(v);
        this.ports = new PortService(v);
        this.fdb = new FdbService(v);
        this.neigh = new NeighService(v);
        this.housekeeping = new Housekeeping(v);
        this.stats = new StatsService(v, housekeeping);
    }

    /** Which devices may be ports (set before {@code ports().reconcile()}). */
    public void setPortPolicy(PortPolicy policy) {
        v.portPolicy = policy;
    }

    public void addListener(VtepListener l) {
        v.listeners.add(l);
    }

    /** The agent's default local addresses (one per family). */
    public Locals locals() {
        return v.locals;
    }

    public VniService vnis() {
        return vnis;
    }

    public PortService ports() {
        return ports;
    }

    public FdbService fdb() {
        return fdb;
    }

    public NeighService neigh() {
        return neigh;
    }

    public Housekeeping housekeeping() {
        return housekeeping;
    }

    public StatsService stats() {
        return stats;
    }

    /** The datapath's events, delivered to {@code consumer} by {@link EventSource#poll}. */
    public EventSource events(Consumer<VtepEvent> consumer) {
        return new EventSource(v.dp, consumer);
    }
}
