package io.xvtep.libbpf;

/** XDP attach mode: driver ({@code XDP_FLAGS_DRV_MODE}) or generic/skb ({@code XDP_FLAGS_SKB_MODE}). */
public enum XdpMode {
    NATIVE, GENERIC;

    int flags() {
        return this == NATIVE ? Xdp.XDP_FLAGS_DRV_MODE : Xdp.XDP_FLAGS_SKB_MODE;
    }
}
