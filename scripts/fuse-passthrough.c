// The floor with data under it (issue #21): a libfuse filesystem that reads each file from a local folder and does
// nothing else: no checksum, no cache of its own, no network. Names in the mount are the folder's names; a read is
// a pread of the folder's file handed to libfuse as a file descriptor (fuse_reply_data, as libfuse's own
// passthrough_ll does), on libfuse's multithreaded loop. Read-only opens keep the page cache and send no flush, as
// wxmediafs answers them. What a warm read costs through it is FUSE's floor plus the disk's read of the same bytes:
// the warm row of a FUSE filesystem whose data is on disk cannot beat it by much.
//   cc -O2 fuse-passthrough.c -I ../Sources/CFuse $(pkg-config --cflags --libs fuse3) -o fuse-passthrough && ./fuse-passthrough FOLDER MOUNTPOINT
#include <errno.h>
#include <fcntl.h>
#include "cfuse.h"  // libfuse, and the parallel lookups wxmediafs asks for (Sources/CFuse)
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_NAMES (1u << 20)
static int folder = -1;
static char *names[MAX_NAMES];  // inode - 2 → the folder's name it was looked up as
static unsigned count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void pass_lookup(fuse_req_t request, fuse_ino_t parent, const char *name) {
    struct fuse_entry_param entry;
    memset(&entry, 0, sizeof entry);
    if (parent != FUSE_ROOT_ID || fstatat(folder, name, &entry.attr, 0) != 0) {
        fuse_reply_err(request, parent != FUSE_ROOT_ID ? ENOENT : errno);
        return;
    }
    pthread_mutex_lock(&lock);
    unsigned slot = count < MAX_NAMES ? count++ : MAX_NAMES;
    if (slot < MAX_NAMES) names[slot] = strdup(name);
    pthread_mutex_unlock(&lock);
    if (slot == MAX_NAMES) {
        fuse_reply_err(request, ENOSPC);
        return;
    }
    entry.ino = entry.attr.st_ino = slot + 2;
    entry.attr.st_mode = S_IFREG | 0444;
    entry.attr_timeout = entry.entry_timeout = 3600;
    fuse_reply_entry(request, &entry);
}

static void pass_getattr(fuse_req_t request, fuse_ino_t inode, struct fuse_file_info *file) {
    (void)file;
    struct stat status;
    if (inode == FUSE_ROOT_ID) {
        if (fstat(folder, &status) != 0) { fuse_reply_err(request, errno); return; }
    } else if (fstatat(folder, names[inode - 2], &status, 0) != 0) {
        fuse_reply_err(request, errno);
        return;
    } else {
        status.st_ino = inode;
        status.st_mode = S_IFREG | 0444;
    }
    fuse_reply_attr(request, &status, 3600);
}

static void pass_open(fuse_req_t request, fuse_ino_t inode, struct fuse_file_info *file) {
    int fd = openat(folder, names[inode - 2], O_RDONLY);
    if (fd < 0) {
        fuse_reply_err(request, errno);
        return;
    }
    file->fh = (uint64_t)fd;
    file->keep_cache = 1;
    file->noflush = 1;
    fuse_reply_open(request, file);
}

static void pass_read(fuse_req_t request, fuse_ino_t inode, size_t size, off_t offset, struct fuse_file_info *file) {
    (void)inode;
    struct fuse_bufvec data = FUSE_BUFVEC_INIT(size);
    data.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
    data.buf[0].fd = (int)file->fh;
    data.buf[0].pos = offset;
    fuse_reply_data(request, &data, FUSE_BUF_SPLICE_MOVE);
}

static void pass_release(fuse_req_t request, fuse_ino_t inode, struct fuse_file_info *file) {
    (void)inode;
    close((int)file->fh);
    fuse_reply_err(request, 0);
}

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    folder = open(argv[1], O_RDONLY | O_DIRECTORY);
    if (folder < 0) return 1;
    static const struct fuse_lowlevel_ops operations = {
        .lookup = pass_lookup, .getattr = pass_getattr, .open = pass_open, .read = pass_read, .release = pass_release,
    };
    char *arguments[] = {argv[0], "-o", "fsname=fuse-passthrough", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, arguments);
    struct fuse_session *session = fuse_session_new(&args, &operations, sizeof operations, NULL);
    if (!session || fuse_set_signal_handlers(session) != 0 || fuse_session_mount(session, argv[2]) != 0) return 1;
    cfuse_session_parallel_dirops(session);  // lookups of one directory in parallel, as wxmediafs has them
    struct fuse_loop_config *config = fuse_loop_cfg_create();
    int result = fuse_session_loop_mt(session, config);  // until SIGTERM or SIGINT
    fuse_loop_cfg_destroy(config);
    fuse_session_unmount(session);
    fuse_remove_signal_handlers(session);
    fuse_session_destroy(session);
    return result ? 1 : 0;
}
