package io.xvtep.service;

import io.xvtep.datapath.Capacities;
import io.xvtep.datapath.Datapath;
import io.xvtep.libbpf.Bpffs;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Vni;
import io.xvtep.testkit.Requires;
import io.xvtep.testkit.Unique;

import java.nio.file.Path;
import java.util.List;

/**
 * The agent's services on real, freshly loaded maps pinned under a pin root of the test's own (no
 * programs attached, no agent): for tests of what the service layer writes, read back from the maps.
 */
public final class ServicesOnMaps implements AutoCloseable {

    public static final IpAddress LOCAL = IpAddress.parse("198.18.0.1");

    public final Path pinRoot = Path.of("/sys/fs/bpf", Unique.name("xvtep-svc"));
    public final Datapath dp;
    public final Services services;

    /** Skips the test when not root (bpf(2)). */
    public ServicesOnMaps(Capacities caps) {
        Requires.root();
        dp = Datapath.open(pinRoot, caps);
        services = new Services(dp, 1, new Locals(LOCAL, null), 1500, new int[] {49152, 65535});
    }

    /** A VNI with the defaults (IPv4, learning on). */
    public Vni vni(int n) {
        Vni vni = new Vni(n);
        services.vnis().create(new VniSpec(vni, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, List.of()));
        return vni;
    }

    @Override
    public void close() {
        try {
            dp.close();
        } finally {
            Bpffs.removeTree(pinRoot);
        }
    }
}
