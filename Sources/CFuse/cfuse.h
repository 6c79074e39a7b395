// The libfuse3 low-level API for Swift, plus the few pieces Swift cannot import:
// variadic fuse_log, the FUSE_ARGS_INIT macro and the versioned fuse_session_loop_mt macro.
#ifndef WXMEDIAFS_CFUSE_H
#define WXMEDIAFS_CFUSE_H
#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <fuse_log.h>
#include <sys/stat.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static inline void cfuse_log(enum fuse_log_level level, const char *message) {
    fuse_log(level, "%s\n", message);
}

static inline struct fuse_args cfuse_args_init(int argc, char **argv) {
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    return args;
}


static inline int cfuse_session_loop_mt(struct fuse_session *se, unsigned int max_idle_threads) {
    struct fuse_loop_config *config = fuse_loop_cfg_create();
    if (config == NULL) return -1;
    fuse_loop_cfg_set_clone_fd(config, 0);
    fuse_loop_cfg_set_idle_threads(config, max_idle_threads);
    int rc = fuse_session_loop_mt(se, config);
    fuse_loop_cfg_destroy(config);
    return rc;
}

/// libfuse 3.14 leaves FUSE_PARALLEL_DIROPS out of its INIT reply whatever the filesystem's `want` says, so the
/// kernel serialises every lookup of a directory: one lookup waiting on a stalled upstream held all of media/.
/// This custom I/O (plain read/writev on the session's /dev/fuse descriptor, as libfuse's own) notes the INIT
/// request's unique and adds the flag to that one reply when the kernel offered it (FuseOperations' `init`
/// asked for it). Every later message passes untouched; a libfuse that sends the flag itself is unaffected.
/// The INIT request is the first the kernel sends and is answered before any other arrives.
static uint64_t cfuse_init_unique = 0;   /* 0: INIT not read yet; UINT64_MAX: INIT answered */
static uint32_t cfuse_init_parallel = 0; /* the kernel offered FUSE_PARALLEL_DIROPS */

static inline ssize_t cfuse_io_read(int fd, void *buf, size_t len, void *userdata) {
    (void)userdata;
    ssize_t n = read(fd, buf, len);
    /* fuse_in_header: len u32, opcode u32, unique u64, …; fuse_init_in (after the 40-byte header): major,
       minor, max_readahead, flags (u32 each). */
    if (n >= 56 && __atomic_load_n(&cfuse_init_unique, __ATOMIC_ACQUIRE) == 0) {
        uint32_t opcode, flags;
        uint64_t unique;
        memcpy(&opcode, (const char *)buf + 4, 4);
        if (opcode == 26 /* FUSE_INIT */) {
            memcpy(&unique, (const char *)buf + 8, 8);
            memcpy(&flags, (const char *)buf + 40 + 12, 4);
            __atomic_store_n(&cfuse_init_parallel, (flags & (1u << 18)) ? 1u : 0u, __ATOMIC_RELAXED);
            __atomic_store_n(&cfuse_init_unique, unique, __ATOMIC_RELEASE);
        }
    }
    return n;
}

static inline ssize_t cfuse_io_writev(int fd, struct iovec *iov, int count, void *userdata) {
    (void)userdata;
    uint64_t init = __atomic_load_n(&cfuse_init_unique, __ATOMIC_ACQUIRE);
    /* fuse_out_header: len u32, error i32, unique u64; fuse_init_out: major, minor, max_readahead, flags. */
    if (init != 0 && init != UINT64_MAX && count >= 2 && iov[0].iov_len >= 16 && iov[1].iov_len >= 16) {
        uint64_t unique;
        int32_t error;
        memcpy(&unique, (const char *)iov[0].iov_base + 8, 8);
        memcpy(&error, (const char *)iov[0].iov_base + 4, 4);
        if (unique == init) {
            if (error == 0 && __atomic_load_n(&cfuse_init_parallel, __ATOMIC_RELAXED)) {
                uint32_t flags;
                memcpy(&flags, (const char *)iov[1].iov_base + 12, 4);
                flags |= 1u << 18; /* FUSE_PARALLEL_DIROPS */
                memcpy((char *)iov[1].iov_base + 12, &flags, 4);
            }
            __atomic_store_n(&cfuse_init_unique, UINT64_MAX, __ATOMIC_RELEASE);
        }
    }
    return writev(fd, iov, count);
}

/// Installs the I/O above on a mounted session (after fuse_session_mount). Returns 0 or -errno.
static inline int cfuse_session_parallel_dirops(struct fuse_session *se) {
    static const struct fuse_custom_io io = { .writev = cfuse_io_writev, .read = cfuse_io_read };
    return fuse_session_custom_io(se, &io, fuse_session_fd(se));
}

/// The file-info flags Swift cannot reach (C bitfields).
static inline void cfuse_fi_set_cache(struct fuse_file_info *fi, int keep_cache, int direct_io) {
    fi->keep_cache = keep_cache ? 1 : 0;
    fi->direct_io = direct_io ? 1 : 0;
}
/// No FLUSH on close (FOPEN_NOFLUSH, Linux 5.15 and later; ignored before): a read-only open has nothing to flush.
static inline void cfuse_fi_set_noflush(struct fuse_file_info *fi) { fi->noflush = 1; }
static inline int cfuse_fi_flags(const struct fuse_file_info *fi) { return fi->flags; }
static inline uint64_t cfuse_fi_fh(const struct fuse_file_info *fi) { return fi->fh; }
static inline void cfuse_fi_set_fh(struct fuse_file_info *fi, uint64_t fh) { fi->fh = fh; }

#endif
