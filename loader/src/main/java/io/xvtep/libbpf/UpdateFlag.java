package io.xvtep.libbpf;

/** {@code BPF_ANY} (0), {@code BPF_NOEXIST} (1), {@code BPF_EXIST} (2). */
public enum UpdateFlag {
    ANY, NOEXIST, EXIST;

    long value() {
        return ordinal();
    }
}
