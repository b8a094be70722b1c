package io.xvtep.app;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.xvtep.api.ApiRouter;
import io.xvtep.api.ConnectionLimit;
import io.xvtep.api.EventHub;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.http.HttpServerOptions;
import java.util.List;
import io.xvtep.api.RequestGuard;
import io.vertx.core.net.SocketAddress;
import io.xvtep.host.AgentLock;
import io.xvtep.host.ApiSocket;
import io.xvtep.host.PinRootCheck;
import io.xvtep.host.PortEligibility;
import io.micrometer.core.instrument.FunctionCounter;
import java.util.concurrent.atomic.LongAdder;
import io.xvtep.cluster.ClusterCoordinator;
import io.xvtep.cluster.ClusterOptions;
import io.xvtep.cluster.NodeIdentity;
import io.xvtep.cluster.ServiceNodeTables;
import io.xvtep.datapath.Capacities;
import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.XvtepConfig;
import io.xvtep.datapath.Programs;
import io.xvtep.host.Interfaces;
import io.xvtep.host.MulticastGroups;
import io.xvtep.host.NeighProber;
import io.xvtep.host.UnderlayWatch;
import io.xvtep.host.UnderlaySysctl;
import io.xvtep.libbpf.XdpMode;
import io.xvtep.metrics.DatapathMetrics;
import io.xvtep.model.EventType;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Ipv4;
import io.xvtep.service.Locals;
import io.xvtep.model.Vni;
import io.xvtep.service.EventSource;
import io.xvtep.service.Services;
import io.xvtep.service.VtepListener;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One running agent, and the only place that wires the parts: datapath loaded and attached,
 * services over it, HTTP API serving, events consumed, stale learned entries reaped, cluster
 * sync when asked for. Closing it releases this process's handles only; programs stay attached
 * and maps pinned so that forwarding continues until the next agent takes over (or `xvtep agent
 * --cleanup` removes everything).
 */
public final class Agent implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("xvtep.agent");
    private static final long REAP_PERIOD_MS = 5_000;

    /** Resolved settings: every field set. */
    public record Settings(String underlay, Locals locals, String apiHost, int apiPort, Path pinRoot, XdpMode xdpMode,
            JsonArray vnis, String apiToken, java.util.Set<String> apiAllowHosts, java.util.Set<String> apiAllowOrigins,
            Capacities capacities, Path apiSocket, String apiGroup) {
    }

    private final Datapath dp;
    private final Vertx vertx;
    private final HttpServer server;
    private final EventConsumer events;
    private final NeighProber prober;
    private final AgentLock lock;
    private final Path apiSocket;
    private ClusterCoordinator cluster;
    private UnderlayWatch underlayWatch;

    private Agent(Datapath dp, AgentLock lock, Vertx vertx, HttpServer server, EventConsumer events,
            NeighProber prober, Path apiSocket) {
        this.events = events;
        this.prober = prober;
        this.dp = dp;
        this.lock = lock;
        this.apiSocket = apiSocket;
        this.vertx = vertx;
        this.server = server;
    }

    /** With {@code clusterOpts} (--etcd) the agent also syncs with the cluster store; null: standalone. */
    public static Agent start(Settings s, ClusterOptions clusterOpts) throws Exception {
        int underlay = Interfaces.index(s.underlay())
                .orElseThrow(() -> new IllegalArgumentException("no underlay interface " + s.underlay()));
        // Before anything is touched: pins that would not outlive us are refused, and a second agent on
        // the same pin root or underlay stops here, having changed nothing.
        PinRootCheck.requireShared(s.pinRoot());
        AgentLock lock = AgentLock.acquire(AgentLock.STATE, s.pinRoot(), underlay,
                "agent --underlay " + s.underlay() + " --pin-root " + s.pinRoot());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // the node's name next: a second agent with a name in use stops here too, having touched nothing
        NodeIdentity identity;
        Datapath dp;
        try {
            identity = clusterOpts == null ? null : NodeIdentity.claim(clusterOpts, s.locals(), registry);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        try {
            dp = Datapath.open(s.pinRoot(), s.capacities());
        } catch (RuntimeException e) {
            lock.close();
            if (identity != null) {
                identity.close();
            }
            throw e;
        }
        dp.repairsAtOpen().forEach(r -> LOG.log(System.Logger.Level.WARNING, "repaired after an unclean stop: " + r));
        try {
            attach(dp, s, underlay);
            Services services = new Services(dp, underlay, s.locals(), Interfaces.mtu(s.underlay()),
                    Interfaces.localPortRange());
            NeighProber prober = new NeighProber();
            MulticastGroups groups = new MulticastGroups(s.underlay());
            EventHub hub = new EventHub();
            services.addListener(hostListener(services, prober, groups));
            services.addListener(hub); // ageouts from the reaper
            services.setPortPolicy(() -> {
                PortEligibility host = PortEligibility.read();
                return ifname -> host.refusal(ifname, s.underlay(), s.apiHost());
            });
            services.housekeeping().reconcile();
            // every program replaced: what the old ones learned meanwhile joins a capacity change's new maps
            dp.finishResize().forEach((map, n) -> LOG.log(System.Logger.Level.INFO, "capacity change: " + n
                    + " entries of " + map + " written by the previous programs during the move, carried over"));
            services.vnis().numbers().forEach(v -> joinGroup(services, groups, v.value()));
            ConfigVnis.apply(services, s.vnis());

            DatapathMetrics metrics = new DatapathMetrics(registry, services);
            capacityGauges(registry, s.capacities());
            metrics.registerExisting(services.vnis().numbers().stream().map(Vni::value).toList());
            ClusterCoordinator cluster = identity == null ? null
                    : new ClusterCoordinator(identity, new ServiceNodeTables(services), registry).start();

            Vertx vertx = Vertx.builder()
                    .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
                    .withMetrics(new MicrometerMetricsFactory(registry))
                    .build();
            EventConsumer events = new EventConsumer(handler -> {
                EventSource source = services.events(handler);
                return new EventConsumer.Source() {
                    @Override
                    public void poll(int timeoutMs) {
                        source.poll(timeoutMs);
                    }

                    @Override
                    public void close() {
                        source.close();
                    }
                };
            }, List.of(new EventConsumer.Sink("metrics", metrics::event),
                    new EventConsumer.Sink("sse", hub::publish),
                    new EventConsumer.Sink("cluster", ev -> {
                        if (cluster != null) {
                            cluster.onEvent(ev); // handed to the cluster thread, never handled here
                        }
                    }),
                    new EventConsumer.Sink("neigh_probe", ev -> {
                        if (ev.type() == EventType.NEIGH_MISS && ev.remote() != null) {
                            prober.probe(ev.remote());
                        }
                    })));
            events.errors().forEach((sink, n) -> FunctionCounter.builder("xvtep_event_errors", n, LongAdder::sum)
                    .description("Events a consumer failed on (sink=poll: the ring itself); the event thread goes on")
                    .tag("sink", sink).register(registry));
            // A dead or stuck event thread means no learning and no miss handling: not ready.
            BooleanSupplier ready = () -> Programs.underlayAttached(underlay, s.xdpMode() != null)
                    && (cluster == null || cluster.synced()) && events.healthy();
            RequestGuard guard = new RequestGuard(s.apiHost(), s.apiAllowHosts(), s.apiAllowOrigins());
            guard.refusals().forEach((reason, n) -> FunctionCounter.builder("xvtep_api_refused", n, LongAdder::sum)
                    .description("API requests refused before any handler ran (Host, Origin, content type, body size)")
                    .tag("reason", reason).register(registry));
            ApiRouter.refusedRequests().forEach((status, n) -> FunctionCounter.builder("xvtep_api_refused_requests", n,
                    LongAdder::sum).description("Requests the services refused, changing nothing (400 invalid, e.g. an"
                            + " address of the other family in a VNI; 404 unknown; 409 conflict)")
                    .tag("status", status).register(registry));
            ApiRouter api = new ApiRouter(vertx, services, ready, registry::scrape, hub, s.apiToken(), guard);
            if (s.apiSocket() != null) {
                ApiSocket.prepare(s.apiSocket());
            }
            ConnectionLimit connections = new ConnectionLimit(ConnectionLimit.DEFAULT_MAX);
            FunctionCounter.builder("xvtep_api_connections_refused", connections.refused(), LongAdder::sum)
                    .description("API connections closed at once because " + ConnectionLimit.DEFAULT_MAX
                            + " were open").register(registry);
            Gauge.builder("xvtep_api_event_streams", hub, EventHub::clients)
                    .description("Event streams (SSE) open; at most " + EventHub.MAX_SUBSCRIBERS).register(registry);
            FunctionCounter.builder("xvtep_api_event_streams_refused", hub, EventHub::refusedSubscribers)
                    .description("Event streams refused because the cap was reached").register(registry);
            // Vert.x 5 serves a Unix socket on its NIO transport (JDK 16+ Unix-domain channels): no native library.
            // No h2c: while Vert.x sniffs a connection for the HTTP/2 preface it has not handed it to the
            // connection handler, so silent connections would escape the cap.
            HttpServer http = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false)
                    .setIdleTimeout(ConnectionLimit.IDLE_TIMEOUT_S).setIdleTimeoutUnit(TimeUnit.SECONDS))
                    .connectionHandler(connections).requestHandler(api.router());
            HttpServer server = (s.apiSocket() != null
                    ? http.listen(SocketAddress.domainSocketAddress(s.apiSocket().toString()))
                    : http.listen(s.apiPort(), s.apiHost())).toCompletionStage().toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            if (s.apiSocket() != null) {
                ApiSocket.restrict(s.apiSocket(), s.apiGroup());
            }
            vertx.setPeriodic(REAP_PERIOD_MS, id -> vertx.executeBlocking(services.housekeeping()::reap, false)
                    .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "reaper: " + e.getMessage())));

            Agent self = new Agent(dp, lock, vertx, server, events, prober, s.apiSocket());
            self.cluster = cluster;
            // a new next-hop MAC or route empties the datapath's outer-header cache (bpf/include/encap_cache.h)
            self.underlayWatch = UnderlayWatch.start(() -> {
                int n = services.housekeeping().underlayChanged();
                if (n > 0) {
                    LOG.log(System.Logger.Level.DEBUG, () -> "underlay changed: " + n + " cached next hops dropped");
                }
            });
            events.start();
            LOG.log(System.Logger.Level.INFO, "xvtep agent: underlay " + s.underlay() + " (ifindex " + underlay
                    + "), local " + s.locals() + ", pin root " + s.pinRoot() + ", API " + (s.apiSocket() != null
                    ? "unix:" + s.apiSocket() + " (curl --unix-socket " + s.apiSocket() + " http://localhost/api/v1/vnis)"
                    : "http://" + s.apiHost() + ":" + server.actualPort() + "/api/v1"));
            return self;
        } catch (Exception | Error e) {
            dp.close();
            lock.close();
            if (identity != null) {
                identity.close();
            }
            throw e;
        }
    }

    /** The table sizes chosen at start: xvtep_capacity{table="fdb|neigh|vnis|ports"}. */
    private static void capacityGauges(PrometheusMeterRegistry registry, Capacities c) {
        java.util.Map<String, Integer> sizes = java.util.Map.of("fdb", c.fdb(), "neigh", c.neigh(), "vnis", c.vnis(),
                "ports", c.ports());
        sizes.forEach((table, n) -> io.micrometer.core.instrument.Gauge.builder("xvtep.capacity", () -> n)
                .tag("table", table).description("Entries the table holds (chosen at start: --fdb-capacity,"
                        + " --neigh-capacity per family, --max-vnis, --max-ports)").register(registry));
    }

    /** Global config, forwarding sysctl, underlay programs (replacing an older agent's in place). */
    private static void attach(Datapath dp, Settings s, int underlay) {
        // An agent moved to another underlay must not leave the old one decapsulating.
        dp.config().get().map(XvtepConfig::underlayIfindex)
                .filter(old -> old != 0 && old != underlay)
                .ifPresent(Programs::detachUnderlay);
        boolean vethUnderlay = Interfaces.isVeth(s.underlay());
        if (vethUnderlay && s.xdpMode() != null) {
            LOG.log(System.Logger.Level.WARNING, "XDP on a veth underlay: frames are left to TC (no XDP"
                    + " redirect: it loses checksum state), and GSO frames are converted; --xdp-mode auto avoids both");
        }
        dp.config().set(new XvtepConfig(underlay, s.locals().ipv4(), s.locals().ipv6(), Interfaces.mac(s.underlay()),
                vethUnderlay ? XvtepConfig.F_NO_XDP_REDIRECT : 0));
        // forwarding for each family the agent has a local address of; the other family's put back
        for (IpAddress.Family f : IpAddress.Family.values()) {
            if (s.locals().of(f) != null) {
                UnderlaySysctl.enableForwarding(s.underlay(), s.pinRoot(), f);
            } else {
                UnderlaySysctl.restoreForwarding(s.underlay(), s.pinRoot(), f);
            }
        }
        dp.programs().attachUnderlay(underlay, s.xdpMode());
    }

    /** The host's side of the VTEP: resolve each VTEP's underlay neighbour up front, join multicast groups. */
    private static VtepListener hostListener(Services services, NeighProber prober, MulticastGroups groups) {
        return new VtepListener() {
            @Override
            public void vniCreated(int vni) {
                joinGroup(services, groups, vni);
            }

            @Override
            public void vniDeleted(int vni) {
                groups.leave(vni);
            }

            @Override
            public void vtepAdded(IpAddress vtep) {
                prober.probe(vtep);
            }
        };
    }

    private static void joinGroup(Services services, MulticastGroups groups, int vni) {
        services.vnis().find(new Vni(vni)).map(v -> v.config().group()).ifPresent(g -> groups.join(vni, g));
    }

    public int apiPort() {
        return server.actualPort();
    }

    /** Stops serving; leaves programs attached and maps pinned. */
    @Override
    public void close() {
        try {
            server.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "shutdown: " + e.getMessage());
        }
        if (apiSocket != null) {
            ApiSocket.removeQuietly(apiSocket);
        }
        if (underlayWatch != null) {
            underlayWatch.close();
        }
        events.close();
        prober.close();
        if (cluster != null) {
            cluster.close(); // the lease is kept: registrations outlive a restart, as the maps do
        }
        dp.close();
        lock.close();
    }
}
