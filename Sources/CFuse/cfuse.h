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

/// The file-info flags Swift cannot reach (C bitfields).
static inline void cfuse_fi_set_cache(struct fuse_file_info *fi, int keep_cache, int direct_io) {
    fi->keep_cache = keep_cache ? 1 : 0;
    fi->direct_io = direct_io ? 1 : 0;
}
static inline int cfuse_fi_flags(const struct fuse_file_info *fi) { return fi->flags; }
static inline uint64_t cfuse_fi_fh(const struct fuse_file_info *fi) { return fi->fh; }
static inline void cfuse_fi_set_fh(struct fuse_file_info *fi, uint64_t fh) { fi->fh = fh; }

#endif
