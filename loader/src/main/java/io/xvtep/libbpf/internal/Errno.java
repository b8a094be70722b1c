package io.xvtep.libbpf.internal;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Linux errno numbers (x86_64/generic) to names; text from {@code libbpf_strerror}. Internal. */
public final class Errno {
    public static final int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7,
            EBADF = 9, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17, ENODEV = 19,
            ENOTDIR = 20, EINVAL = 22, ENFILE = 23, EMFILE = 24, ENOSPC = 28, ERANGE = 34, ENAMETOOLONG = 36,
            ENOSYS = 38, ELOOP = 40, EPROTO = 71, EOVERFLOW = 75, EOPNOTSUPP = 95, EAFNOSUPPORT = 97,
            EADDRNOTAVAIL = 99, ENETDOWN = 100, ETIMEDOUT = 110, EALREADY = 114, ECANCELED = 125,
            ENOTSUPP = 524;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(EPERM, "EPERM"), Map.entry(ENOENT, "ENOENT"), Map.entry(ESRCH, "ESRCH"),
            Map.entry(EINTR, "EINTR"), Map.entry(EIO, "EIO"), Map.entry(ENXIO, "ENXIO"), Map.entry(E2BIG, "E2BIG"),
            Map.entry(8, "ENOEXEC"), Map.entry(EBADF, "EBADF"), Map.entry(10, "ECHILD"),
            Map.entry(EAGAIN, "EAGAIN"), Map.entry(ENOMEM, "ENOMEM"), Map.entry(EACCES, "EACCES"),
            Map.entry(EFAULT, "EFAULT"), Map.entry(EBUSY, "EBUSY"), Map.entry(EEXIST, "EEXIST"),
            Map.entry(18, "EXDEV"), Map.entry(ENODEV, "ENODEV"), Map.entry(ENOTDIR, "ENOTDIR"),
            Map.entry(21, "EISDIR"), Map.entry(EINVAL, "EINVAL"), Map.entry(ENFILE, "ENFILE"),
            Map.entry(EMFILE, "EMFILE"), Map.entry(25, "ENOTTY"), Map.entry(27, "EFBIG"),
            Map.entry(ENOSPC, "ENOSPC"), Map.entry(30, "EROFS"), Map.entry(32, "EPIPE"), Map.entry(ERANGE, "ERANGE"),
            Map.entry(35, "EDEADLK"), Map.entry(ENAMETOOLONG, "ENAMETOOLONG"), Map.entry(ENOSYS, "ENOSYS"),
            Map.entry(39, "ENOTEMPTY"), Map.entry(ELOOP, "ELOOP"), Map.entry(61, "ENODATA"),
            Map.entry(EPROTO, "EPROTO"), Map.entry(74, "EBADMSG"), Map.entry(EOVERFLOW, "EOVERFLOW"),
            Map.entry(90, "EMSGSIZE"), Map.entry(93, "EPROTONOSUPPORT"), Map.entry(EOPNOTSUPP, "EOPNOTSUPP"),
            Map.entry(EAFNOSUPPORT, "EAFNOSUPPORT"), Map.entry(98, "EADDRINUSE"),
            Map.entry(EADDRNOTAVAIL, "EADDRNOTAVAIL"), Map.entry(ENETDOWN, "ENETDOWN"), Map.entry(101, "ENETUNREACH"),
            Map.entry(105, "ENOBUFS"), Map.entry(ETIMEDOUT, "ETIMEDOUT"), Map.entry(EALREADY, "EALREADY"),
            Map.entry(ECANCELED, "ECANCELED"), Map.entry(512, "ERESTARTSYS"), Map.entry(ENOTSUPP, "ENOTSUPP"),
            Map.entry(4000, "LIBBPF_ERRNO__LIBELF"), Map.entry(4001, "LIBBPF_ERRNO__FORMAT"),
            Map.entry(4002, "LIBBPF_ERRNO__KVERSION"), Map.entry(4003, "LIBBPF_ERRNO__ENDIAN"),
            Map.entry(4004, "LIBBPF_ERRNO__INTERNAL"), Map.entry(4005, "LIBBPF_ERRNO__RELOC"),
            Map.entry(4006, "LIBBPF_ERRNO__LOAD"), Map.entry(4007, "LIBBPF_ERRNO__VERIFY"),
            Map.entry(4008, "LIBBPF_ERRNO__PROG2BIG"), Map.entry(4009, "LIBBPF_ERRNO__KVER"),
            Map.entry(4010, "LIBBPF_ERRNO__PROGTYPE"), Map.entry(4011, "LIBBPF_ERRNO__WRNGPID"),
            Map.entry(4012, "LIBBPF_ERRNO__INVSEQ"), Map.entry(4013, "LIBBPF_ERRNO__NLPARSE"));

    private Errno() {
    }

    /** e.g. "EACCES"; "errno 1234" when unknown. */
    public static String name(int errno) {
        String n = NAMES.get(Math.abs(errno));
        return n != null ? n : "errno " + Math.abs(errno);
    }

    /** e.g. "Permission denied". */
    public static String text(int errno) {
        int e = Math.abs(errno);
        if (e == ENOTSUPP) {
            return "Operation not supported (kernel ENOTSUPP)";
        }
        try {
            byte[] buf = new byte[256];
            Native.BPF.libbpf_strerror(e, buf, buf.length);
            int len = 0;
            while (len < buf.length && buf[len] != 0) {
                len++;
            }
            String s = new String(buf, 0, len, StandardCharsets.UTF_8);
            return s.isEmpty() ? "Unknown error " + e : s;
        } catch (Throwable t) {
            return "Unknown error " + e;
        }
    }

    /** e.g. "EACCES (Permission denied)". */
    public static String describe(int errno) {
        return name(errno) + " (" + text(errno) + ")";
    }
}
