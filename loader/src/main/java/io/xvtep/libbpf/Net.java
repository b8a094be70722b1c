package io.xvtep.libbpf;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

import io.xvtep.libbpf.internal.Native;

/** Interface names/indexes (libc, in the calling thread's network namespace) and the possible-CPU count. */
public final class Net {
    private static volatile int possibleCpus;

    private Net() {
    }

    /** {@code if_nametoindex}; IllegalArgumentException("no such interface: X") if there is none. */
    public static int ifindex(String ifname) {
        Objects.requireNonNull(ifname, "ifname");
        int idx = Native.LIBC.if_nametoindex(ifname);
        if (idx == 0) {
            throw new IllegalArgumentException("no such interface: " + ifname);
        }
        return idx;
    }

    /** {@code if_indextoname}; IllegalArgumentException if there is no such interface. */
    public static String ifname(int ifindex) {
        byte[] buf = new byte[16]; // IF_NAMESIZE
        if (Native.LIBC.if_indextoname(ifindex, buf) == null) {
            throw new IllegalArgumentException("no such interface index: " + ifindex);
        }
        int len = 0;
        while (len < buf.length && buf[len] != 0) {
            len++;
        }
        return new String(buf, 0, len, StandardCharsets.UTF_8);
    }

    /**
     * {@code if_indextoname}, telling "no such interface" (empty: ENXIO/ENODEV) from a lookup that failed
     * (IllegalStateException with the errno, e.g. EMFILE: glibc needs a socket for the ioctl). Callers that
     * would remove state for a vanished interface must not take a failed lookup for a vanished one.
     */
    public static java.util.Optional<String> ifnameIfPresent(int ifindex) {
        byte[] buf = new byte[16]; // IF_NAMESIZE
        if (Native.LIBC.if_indextoname(ifindex, buf) == null) {
            int errno = Native.lastErrno();
            if (errno == ENXIO || errno == ENODEV) {
                return java.util.Optional.empty();
            }
            throw new IllegalStateException("if_indextoname(" + ifindex + ") failed: errno " + errno);
        }
        int len = 0;
        while (len < buf.length && buf[len] != 0) {
            len++;
        }
        return java.util.Optional.of(new String(buf, 0, len, StandardCharsets.UTF_8));
    }

    private static final int ENXIO = 6;
    private static final int ENODEV = 19;

    /** {@code libbpf_num_possible_cpus}: the number of per-CPU slots in per-CPU map values. */
    public static int possibleCpus() {
        int n = possibleCpus;
        if (n == 0) {
            n = Native.BPF.libbpf_num_possible_cpus();
            if (n <= 0) {
                throw BpfException.of("libbpf_num_possible_cpus", null, -n);
            }
            possibleCpus = n;
        }
        return n;
    }
}
