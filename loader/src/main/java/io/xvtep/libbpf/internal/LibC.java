package io.xvtep.libbpf.internal;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;

/** The few libc calls the loader needs. Internal. */
public interface LibC {
    int if_nametoindex(String ifname);
    Pointer if_indextoname(int ifindex, @Out byte[] buf);
    int mount(String source, String target, String fstype, long flags, String data);
    int umount2(String target, int flags);
    int statfs(String path, Pointer buf);
    int close(int fd);
    Pointer calloc(@size_t long nmemb, @size_t long size);
    void free(Pointer p);
    int open(String path, int flags);
    int setns(int fd, int nstype);
    int vsnprintf(Pointer buf, @size_t long size, Pointer format, Pointer vaList);
}
