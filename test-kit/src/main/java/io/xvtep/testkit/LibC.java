package io.xvtep.testkit;

import jnr.ffi.LibraryLoader;

/** The three libc calls that move a thread into a network namespace (public: jnr-ffi implements it). */
public interface LibC {
    int CLONE_NEWNET = 0x40000000;
    int O_RDONLY_CLOEXEC = 0x80000;

    LibC INSTANCE = LibraryLoader.create(LibC.class).load("c");

    int open(String path, int flags);

    int setns(int fd, int nstype);

    int close(int fd);
}
