package io.xvtep.libbpf;

/** clsact hook point ({@code BPF_TC_INGRESS} = 1, {@code BPF_TC_EGRESS} = 2). */
public enum TcDirection {
    INGRESS(1), EGRESS(2);

    final int attachPoint;

    TcDirection(int attachPoint) {
        this.attachPoint = attachPoint;
    }
}
