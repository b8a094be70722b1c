package io.xvtep.libbpf;

import java.util.List;

import io.xvtep.libbpf.internal.Errno;

/**
 * A failed libbpf or bpf(2) call. The message reads {@code "<op>(<subject>): <ERRNO> (<text>)"}, for example
 * {@code "bpf_object__load(xdp_underlay): EACCES (Permission denied)"}, possibly followed by further lines
 * (libbpf's own warnings for that call, a hint).
 */
public class BpfException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String verifierLog;

    public BpfException(String message, int errno, String verifierLog) {
        super(message);
        this.errno = Math.abs(errno);
        this.verifierLog = verifierLog;
    }

    public BpfException(String message, int errno) {
        this(message, errno, null);
    }

    /** Positive errno (e.g. 13 for EACCES); 0 if the failure did not come with one. */
    public int errno() {
        return errno;
    }

    /** The kernel verifier log when the kernel rejected a program (or BTF); null otherwise. */
    public String verifierLog() {
        return verifierLog;
    }

    /** Symbolic errno name, e.g. "EEXIST". */
    public String errnoName() {
        return Errno.name(errno);
    }

    static BpfException of(String op, String subject, int errno) {
        return of(op, subject, errno, null, List.of(), null);
    }

    static BpfException of(String op, String subject, int errno, String hint, List<String> libbpfMessages,
                           String verifierLog) {
        StringBuilder sb = new StringBuilder(op);
        if (subject != null) {
            sb.append('(').append(subject).append(')');
        }
        sb.append(": ").append(Errno.describe(errno));
        if (hint != null) {
            sb.append(": ").append(hint);
        }
        for (String m : libbpfMessages) {
            if (m.contains("\n")) { // the verifier log dump: available through verifierLog()
                m = m.substring(0, m.indexOf('\n')) + " ...";
            }
            sb.append("\n  ").append(m.startsWith("libbpf: ") ? m : "libbpf: " + m);
        }
        return new BpfException(sb.toString(), errno, verifierLog);
    }
}
