package io.xvtep.libbpf.internal;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.types.size_t;

/**
 * jnr-ffi view of the parts of libbpf 1.1 ({@code libbpf.so.1}) that xvtep uses. Internal: use the classes in
 * {@code io.xvtep.libbpf}. Int returns are {@code -errno}; pointer returns are NULL with errno set (libbpf 1.x mode).
 */
public interface LibBpf {

    /** {@code typedef int (*ring_buffer_sample_fn)(void *ctx, void *data, size_t size);} */
    interface SampleFn {
        @Delegate
        int call(Pointer ctx, Pointer data, @size_t long size);
    }

    /** {@code typedef int (*libbpf_print_fn_t)(enum libbpf_print_level, const char *fmt, va_list ap);} */
    interface PrintFn {
        @Delegate
        int call(int level, Pointer format, Pointer vaList);
    }

    // ---- misc
    Pointer libbpf_set_print(PrintFn fn);
    int libbpf_strerror(int err, @Out byte[] buf, @size_t long size);
    int libbpf_num_possible_cpus();

    // ---- objects
    Pointer bpf_object__open_file(String path, Pointer opts);
    Pointer bpf_object__open_mem(Pointer buf, @size_t long size, Pointer opts);
    int bpf_object__load(Pointer obj);
    void bpf_object__close(Pointer obj);
    String bpf_object__name(Pointer obj);
    Pointer bpf_object__next_program(Pointer obj, Pointer prev);
    Pointer bpf_object__next_map(Pointer obj, Pointer prev);

    // ---- programs
    String bpf_program__name(Pointer prog);
    String bpf_program__section_name(Pointer prog);
    int bpf_program__fd(Pointer prog);
    int bpf_program__pin(Pointer prog, String path);

    // ---- maps (object view)
    String bpf_map__name(Pointer map);
    int bpf_map__fd(Pointer map);
    int bpf_map__type(Pointer map);
    int bpf_map__key_size(Pointer map);
    int bpf_map__value_size(Pointer map);
    int bpf_map__max_entries(Pointer map);
    int bpf_map__set_max_entries(Pointer map, int maxEntries);
    int bpf_map__map_flags(Pointer map);

    // ---- low-level bpf(2) wrappers
    int bpf_map_lookup_elem(int fd, @In byte[] key, @Out byte[] value);
    /** the same on native memory: many lookups from one buffer without copying Java arrays in and out */
    int bpf_map_lookup_elem(int fd, Pointer key, Pointer value);
    int bpf_map_update_elem(int fd, @In byte[] key, @In byte[] value, long flags);
    int bpf_map_delete_elem(int fd, @In byte[] key);
    int bpf_map_get_next_key(int fd, @In byte[] key, @Out byte[] nextKey);
    int bpf_map_lookup_batch(int fd, Pointer inBatch, Pointer outBatch, Pointer keys, Pointer values,
                             Pointer count, Pointer opts);
    int bpf_map_update_batch(int fd, Pointer keys, Pointer values, Pointer count, Pointer opts);
    int bpf_map_delete_batch(int fd, Pointer keys, Pointer count, Pointer opts);
    int bpf_obj_pin(int fd, String path);
    int bpf_obj_get(String path);
    int bpf_obj_get_info_by_fd(int fd, Pointer info, IntByReference infoLen);
    int bpf_prog_test_run_opts(int progFd, Pointer opts);

    // ---- XDP / TC
    int bpf_xdp_attach(int ifindex, int progFd, int flags, Pointer opts);
    int bpf_xdp_detach(int ifindex, int flags, Pointer opts);
    int bpf_xdp_query_id(int ifindex, int flags, IntByReference progId);
    int bpf_tc_hook_create(Pointer hook);
    int bpf_tc_hook_destroy(Pointer hook);
    int bpf_tc_attach(Pointer hook, Pointer opts);
    int bpf_tc_detach(Pointer hook, Pointer opts);
    int bpf_tc_query(Pointer hook, Pointer opts);

    // ---- ring buffer
    Pointer ring_buffer__new(int mapFd, SampleFn sampleCb, Pointer ctx, Pointer opts);
    void ring_buffer__free(Pointer rb);
    int ring_buffer__poll(Pointer rb, int timeoutMs);
    int ring_buffer__consume(Pointer rb);
}
