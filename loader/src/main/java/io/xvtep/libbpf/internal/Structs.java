package io.xvtep.libbpf.internal;

/**
 * Sizes and offsets of the libbpf 1.1.2 option structs, measured with {@code sizeof}/{@code offsetof} against
 * {@code /usr/include/bpf/libbpf.h} and {@code bpf.h} on x86_64 (see loader/README.md). jnr-ffi's {@code Struct}
 * omits trailing padding, so these structs are plain zeroed native buffers of the C size with {@code sz} set.
 */
public final class Structs {
    private Structs() {
    }

    /** struct bpf_object_open_opts: 80 bytes */
    public static final int OPEN_OPTS_SIZE = 80;
    public static final int OPEN_OPTS_OBJECT_NAME = 8;
    public static final int OPEN_OPTS_PIN_ROOT_PATH = 24;
    public static final int OPEN_OPTS_KERNEL_LOG_BUF = 56;
    public static final int OPEN_OPTS_KERNEL_LOG_SIZE = 64;
    public static final int OPEN_OPTS_KERNEL_LOG_LEVEL = 72;

    /** struct bpf_test_run_opts: 80 bytes */
    public static final int TEST_RUN_OPTS_SIZE = 80;
    public static final int TR_DATA_IN = 8;
    public static final int TR_DATA_OUT = 16;
    public static final int TR_DATA_SIZE_IN = 24;
    public static final int TR_DATA_SIZE_OUT = 28;
    public static final int TR_CTX_IN = 32;
    public static final int TR_CTX_OUT = 40;
    public static final int TR_CTX_SIZE_IN = 48;
    public static final int TR_CTX_SIZE_OUT = 52;
    public static final int TR_RETVAL = 56;
    public static final int TR_REPEAT = 60;
    public static final int TR_DURATION = 64;

    /** struct bpf_tc_hook: 24 bytes (jnr Struct would say 20) */
    public static final int TC_HOOK_SIZE = 24;
    public static final int TC_HOOK_IFINDEX = 8;
    public static final int TC_HOOK_ATTACH_POINT = 12;
    public static final int TC_HOOK_PARENT = 16;

    /** struct bpf_tc_opts: 32 bytes (jnr Struct would say 28) */
    public static final int TC_OPTS_SIZE = 32;
    public static final int TC_OPTS_PROG_FD = 8;
    public static final int TC_OPTS_FLAGS = 12;
    public static final int TC_OPTS_PROG_ID = 16;
    public static final int TC_OPTS_HANDLE = 20;
    public static final int TC_OPTS_PRIORITY = 24;

    /** struct bpf_map_batch_opts: 24 bytes */
    public static final int BATCH_OPTS_SIZE = 24;
    public static final int BATCH_OPTS_ELEM_FLAGS = 8;
    public static final int BATCH_OPTS_FLAGS = 16;

    /** struct bpf_xdp_attach_opts: 16 bytes (old_prog_fd @8) */
    public static final int XDP_ATTACH_OPTS_SIZE = 16;

    /** struct bpf_map_info: 88 bytes */
    public static final int MAP_INFO_SIZE = 88;
    public static final int MI_TYPE = 0;
    public static final int MI_ID = 4;
    public static final int MI_KEY_SIZE = 8;
    public static final int MI_VALUE_SIZE = 12;
    public static final int MI_MAX_ENTRIES = 16;
    public static final int MI_MAP_FLAGS = 20;
    public static final int MI_NAME = 24;
    public static final int OBJ_NAME_LEN = 16;

    /** struct bpf_prog_info: 232 bytes (id @4, name @64) */
    public static final int PROG_INFO_SIZE = 232;
    public static final int PI_ID = 4;
    /** bpf_prog_info.verified_insns (5.16+): instructions the verifier processed, its cost. */
    public static final int PI_VERIFIED_INSNS = 216;

    /** struct statfs (x86_64): 120 bytes, f_type @0 (long) */
    public static final int STATFS_SIZE = 120;

    /** struct xdp_md: 24 bytes; data @0, data_end @4, data_meta @8, ingress_ifindex @12, rx_queue_index @16 */
    public static final int XDP_MD_SIZE = 24;
    /** struct __sk_buff: 192 bytes; ifindex @40 */
    public static final int SK_BUFF_SIZE = 192;
    public static final int SKB_IFINDEX = 40;
}
