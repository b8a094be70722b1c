package io.xvtep.libbpf;

/**
 * Outcome of {@code BPF_PROG_TEST_RUN}: the program's return value, the frame as the program left it (exactly
 * {@code data_size_out} bytes) and the kernel's average run time per repetition in nanoseconds.
 */
public record TestRunResult(int retval, byte[] dataOut, long durationNs) {
}
