package io.xvtep.agent;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.xvtep.api.ApiRouter;
import io.xvtep.api.EventHub;
import io.xvtep.api.JsonCodec;
import io.xvtep.libbpf.RingBuffer;
import io.xvtep.cluster.ClusterCoordinator;
import io.xvtep.cluster.ClusterOptions;
import io.xvtep.cluster.ServiceNodeTables;
import io.xvtep.libbpf.Tc;
import io.xvtep.libbpf.TcDirection;
import io.xvtep.libbpf.Xdp;
import io.xvtep.libbpf.XdpMode;
import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.MapCodec.VniCfg;
import io.xvtep.datapath.MapCodec.XvtepConfig;
import io.xvtep.datapath.MapCodec.XvtepEvent;
import io.xvtep.metrics.DatapathMetrics;
import io.xvtep.model.Ipv4;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One running agent: datapath loaded and attached, HTTP API serving, events consumed,
 * stale learned entries reaped. Closing it releases this process's handles only; programs
 * stay attached and maps pinned so that forwarding continues until the next agent takes over
 * (or `xvtep agent --cleanup` removes everything).
 */
public final class Agent implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("xvtep.agent");
    private static final long REAP_PERIOD_MS = 5_000;

    /** Resolved settings: every field set. */
    public record Settings(String underlay, Ipv4 local, String apiHost, int apiPort, Path pinRoot, XdpMode xdpMode,
            JsonArray vnis, String apiToken) {

        public Settings(String underlay, Ipv4 local, String apiHost, int apiPort, Path pinRoot, XdpMode xdpMode,
                JsonArray vnis) {
            this(underlay, local, apiHost, apiPort, pinRoot, xdpMode, vnis, null);
        }
    }

    private final Datapath dp;
    private final Vertx vertx;
    private final HttpServer server;
    private final Thread eventThread;
    private volatile boolean running = true;
    private ClusterCoordinator cluster;

    private Agent(Datapath dp, Vertx vertx, HttpServer server, Thread eventThread) {
        this.dp = dp;
        this.vertx = vertx;
        this.server = server;
        this.eventThread = eventThread;
    }

    public static Agent start(Settings s) throws Exception {
        return start(s, null);
    }

    /** With {@code clusterOpts} (--etcd) the agent also syncs with the cluster store; null: standalone. */
    public static Agent start(Settings s, ClusterOptions clusterOpts) throws Exception {
        int underlay = Interfaces.index(s.underlay())
                .orElseThrow(() -> new IllegalArgumentException("no underlay interface " + s.underlay()));
        Datapath dp = Datapath.open(s.pinRoot());
        try {
            // An agent moved to another underlay must not leave the old one decapsulating.
            dp.config().map(XvtepConfig::underlayIfindex)
                    .filter(old -> old != 0 && old != underlay)
                    .ifPresent(Datapath::detachUnderlay);
            boolean vethUnderlay = Interfaces.isVeth(s.underlay());
            if (vethUnderlay && s.xdpMode() != null) {
                LOG.log(System.Logger.Level.WARNING, "XDP on a veth underlay: frames are left to TC (no XDP"
                        + " redirect: it loses checksum state), and GSO frames are converted; --xdp-mode auto avoids both");
            }
            dp.setConfig(new XvtepConfig(underlay, s.local(), Interfaces.mac(s.underlay()),
                    vethUnderlay ? XvtepConfig.F_NO_XDP_REDIRECT : 0));
            UnderlaySysctl.enableForwarding(s.underlay(), s.pinRoot());
            dp.attachUnderlay(underlay, s.xdpMode());

            VtepService service = new VtepService(dp, underlay, s.local(), Interfaces.mtu(s.underlay()),
                    Interfaces.localPortRange());
            NeighProber prober = new NeighProber();
            // Resolve each VTEP's underlay neighbour as soon as it is configured, not on its first frame.
            service.addListener(new VtepService.Listener() {
                @Override
                public void vniCreated(int vni) {
                }

                @Override
                public void vniDeleted(int vni) {
                }

                @Override
                public void vtepAdded(Ipv4 vtep) {
                    prober.probe(vtep);
                }
            });
            EventHub hub = new EventHub();
            service.addListener(hub); // ageouts from the reaper
            MulticastGroups groups = new MulticastGroups(dp, s.underlay());
            service.addListener(groups);
            service.reconcile();
            groups.joinExisting();
            applyConfigVnis(service, s.vnis());

            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            DatapathMetrics metrics = new DatapathMetrics(registry, service);
            metrics.registerExisting(dp.vnis().stream().map(VniCfg::vni).toList());
            ClusterCoordinator cluster = clusterOpts == null ? null
                    : new ClusterCoordinator(clusterOpts, new ServiceNodeTables(service), s.local(), registry).start();

            Vertx vertx = Vertx.builder()
                    .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
                    .withMetrics(new MicrometerMetricsFactory(registry))
                    .build();
            ApiRouter api = new ApiRouter(vertx, service,
                    () -> attached(underlay, s.xdpMode() != null) && (cluster == null || cluster.synced()), registry::scrape, hub,
                    s.apiToken());
            HttpServer server = vertx.createHttpServer().requestHandler(api.router())
                    .listen(s.apiPort(), s.apiHost()).toCompletionStage().toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            vertx.setPeriodic(REAP_PERIOD_MS, id -> vertx.executeBlocking(service::reap, false)
                    .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "reaper: " + e.getMessage())));

            Agent[] self = new Agent[1];
            Thread events = new Thread(() -> pollEvents(dp, metrics, prober, hub, cluster,
                    () -> self[0] == null || self[0].running),
                    "xvtep-events");
            events.setDaemon(true);
            self[0] = new Agent(dp, vertx, server, events);
            self[0].cluster = cluster;
            events.start();
            LOG.log(System.Logger.Level.INFO, "xvtep agent: underlay " + s.underlay() + " (ifindex " + underlay
                    + "), local " + s.local() + ", pin root " + s.pinRoot() + ", API http://" + s.apiHost() + ":"
                    + server.actualPort() + "/api/v1");
            return self[0];
        } catch (Exception | Error e) {
            dp.close();
            throw e;
        }
    }

    private static boolean attached(int underlay, boolean xdp) {
        return (!xdp || Xdp.attachedProgramId(underlay) != 0)
                && Tc.isAttached(underlay, TcDirection.INGRESS, Datapath.TC_HANDLE, Datapath.TC_PRIORITY);
    }

    /** The ring buffer is polled on its own thread: its callback runs inside the native poll. */
    private static void pollEvents(Datapath dp, DatapathMetrics metrics, NeighProber prober, EventHub hub,
            ClusterCoordinator cluster, java.util.function.BooleanSupplier running) {
        try (prober; RingBuffer rb = dp.events(ev -> {
            metrics.event(ev);
            hub.publish(ev);
            if (cluster != null) {
                cluster.onEvent(ev); // handed to the cluster thread, never handled here
            }
            LOG.log(System.Logger.Level.DEBUG, () -> "event " + ev);
            if (ev.type() == XvtepEvent.NEIGH_MISS && !ev.remote().isZero()) {
                prober.probe(ev.remote());
            }
        })) {
            while (running.getAsBoolean()) {
                rb.poll(200);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "event polling stopped: " + e.getMessage());
        }
    }

    /** VNIs from the config file: created when missing, with their ports and static entries. */
    private static void applyConfigVnis(VtepService service, JsonArray vnis) {
        if (vnis == null) {
            return;
        }
        for (Object o : vnis) {
            if (!(o instanceof JsonObject v)) {
                throw new IllegalArgumentException("config: vnis must be a list of objects");
            }
            JsonObject body = v.copy();
            JsonArray ports = (JsonArray) body.remove("ports");
            JsonArray fdb = (JsonArray) body.remove("fdb");
            String vni = String.valueOf(body.getValue("vni"));
            try {
                service.getVni(vni);
            } catch (VtepException e) {
                service.createVni(JsonCodec.vniSpec(JsonCodec.object(body.toBuffer(), JsonCodec.VNI_FIELDS)));
            }
            if (ports != null) {
                for (Object p : ports) {
                    JsonObject po = (JsonObject) p;
                    boolean present = service.listPorts(vni).stream()
                            .anyMatch(x -> po.getString("ifname").equals(x.ifname()));
                    if (!present) {
                        service.addPort(vni, po.getString("ifname"), po.getBoolean("xdp"));
                    }
                }
            }
            if (fdb != null) {
                for (Object f : fdb) {
                    JsonObject fo = (JsonObject) f;
                    try {
                        service.addFdb(vni, fo.getString("mac"), fo.getString("dst"), fo.getString("ifname"));
                    } catch (VtepException e) {
                        if (e.kind() != VtepException.Kind.CONFLICT) {
                            throw e;
                        }
                    }
                }
            }
        }
    }

    public int apiPort() {
        return server.actualPort();
    }

    public Datapath datapath() {
        return dp;
    }

    /** Stops serving; leaves programs attached and maps pinned. */
    @Override
    public void close() {
        running = false;
        try {
            server.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "shutdown: " + e.getMessage());
        }
        try {
            eventThread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (cluster != null) {
            cluster.close(); // the lease is kept: registrations outlive a restart, as the maps do
        }
        dp.close();
    }
}
