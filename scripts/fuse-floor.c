// The floor under every FUSE row of scripts/bench (issue #7): a libfuse filesystem that does no work at all.
// Every name looked up exists (a file of SIZE bytes, or of N bytes when the name ends in `_sN`, as the small-item
// rows name their files; its inode is the name's hash with the size in its low 32 bits); every read is
// answered at once from one static buffer; one thread, as wxmediafs runs libfuse. What it reaches is what the
// kernel and libfuse cost on this machine; the gap between it and a local file no FUSE filesystem can close.
//   cc -O2 -I ../Sources/CFuse fuse-floor.c $(pkg-config --cflags --libs fuse3) -o fuse-floor && ./fuse-floor SIZE MOUNTPOINT
#include <errno.h>
#include <stdint.h>
#include "cfuse.h"  // libfuse, and the parallel lookups wxmediafs asks for (Sources/CFuse)
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static off_t size;
static char buffer[1 << 20];

/// A file's size, kept in its inode's low 32 bits.
static off_t size_of(fuse_ino_t inode) { return (off_t)(inode & 0xffffffffu); }

static void attributes(fuse_ino_t inode, struct stat *status) {
    memset(status, 0, sizeof *status);
    status->st_ino = inode;
    if (inode == FUSE_ROOT_ID) {
        status->st_mode = S_IFDIR | 0755;
        status->st_nlink = 2;
    } else {
        status->st_mode = S_IFREG | 0444;
        status->st_nlink = 1;
        status->st_size = size_of(inode);
    }
}

static void floor_lookup(fuse_req_t request, fuse_ino_t parent, const char *name) {
    struct fuse_entry_param entry;
    memset(&entry, 0, sizeof entry);
    if (parent != FUSE_ROOT_ID) {
        fuse_reply_err(request, ENOENT);
        return;
    }
    uint64_t hash = 1469598103934665603u;  // FNV-1a
    for (const char *c = name; *c; c++) hash = (hash ^ (unsigned char)*c) * 1099511628211u;
    off_t length = size;
    const char *suffix = strrchr(name, '_');
    if (suffix && suffix[1] == 's' && suffix[2]) length = strtoll(suffix + 2, NULL, 10);
    entry.ino = ((hash & 0x3fffffffu) << 32 | (1ull << 62)) | ((uint64_t)length & 0xffffffffu);
    entry.attr_timeout = entry.entry_timeout = 3600;
    attributes(entry.ino, &entry.attr);
    fuse_reply_entry(request, &entry);
}

static void floor_getattr(fuse_req_t request, fuse_ino_t inode, struct fuse_file_info *file) {
    (void)file;
    struct stat status;
    attributes(inode, &status);
    fuse_reply_attr(request, &status, 3600);
}

static void floor_open(fuse_req_t request, fuse_ino_t inode, struct fuse_file_info *file) {
    (void)inode;
    file->keep_cache = 1;
    fuse_reply_open(request, file);
}

static void floor_read(fuse_req_t request, fuse_ino_t inode, size_t count, off_t offset, struct fuse_file_info *file) {
    (void)file;
    off_t size = size_of(inode);
    if (offset >= size) count = 0;
    else if (offset + (off_t)count > size) count = (size_t)(size - offset);
    if (count > sizeof buffer) count = sizeof buffer;
    fuse_reply_buf(request, buffer, count);
}

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    size = strtoll(argv[1], NULL, 10);
    memset(buffer, 'x', sizeof buffer);
    static const struct fuse_lowlevel_ops operations = {
        .lookup = floor_lookup, .getattr = floor_getattr, .open = floor_open, .read = floor_read,
    };
    char *arguments[] = {argv[0], "-o", "fsname=fuse-floor", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, arguments);
    struct fuse_session *session = fuse_session_new(&args, &operations, sizeof operations, NULL);
    if (!session || fuse_set_signal_handlers(session) != 0 || fuse_session_mount(session, argv[2]) != 0) return 1;
    cfuse_session_parallel_dirops(session);  // lookups of one directory in parallel, as wxmediafs has them
    int result = fuse_session_loop(session);  // until SIGTERM or SIGINT
    fuse_session_unmount(session);
    fuse_remove_signal_handlers(session);
    fuse_session_destroy(session);
    return result ? 1 : 0;
}
