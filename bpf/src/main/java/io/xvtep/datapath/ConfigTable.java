package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.UpdateFlag;

import java.util.Optional;

/** xvtep_config: the agent-wide settings (underlay, default local address, flags), one entry. */
public final class ConfigTable {

    private final Object lock;
    private final BpfMap config;

    ConfigTable(Object lock, BpfMap config) {
        this.lock = lock;
        this.config = config;
    }

    public Optional<XvtepConfig> get() {
        synchronized (lock) {
            return config.lookup(MapCodec.u32(0)).map(XvtepConfig::decode);
        }
    }

    public void set(XvtepConfig c) {
        synchronized (lock) {
            config.update(MapCodec.u32(0), c.encode(), UpdateFlag.ANY);
        }
    }
}
