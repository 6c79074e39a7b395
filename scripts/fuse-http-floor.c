// The cold floor of the small-item rows (issue #21): the least a FUSE filesystem reading media over HTTP can do.
// A lookup of `<id>.<ext>` GETs `BASE/cgi-bin/media/get?access_token=TOKEN&media_id=<id>` whole into memory (one
// request answers the lookup's size and the data, as wxmediafs does for a small item), on libcurl with one kept
// connection per libfuse thread; reads are answered from memory. No cache on disk, no checksum, no error
// classification, no retry: whatever wxmediafs costs beyond it is ours, what it costs is FUSE's and HTTP's.
//   cc -O2 fuse-http-floor.c -I ../Sources/CFuse $(pkg-config --cflags --libs fuse3 libcurl) -o fuse-http-floor
//   MEDIA_TOKEN=… ./fuse-http-floor BASE MOUNTPOINT   (the token from the environment, never argv)
// The fleet rows' floor (issue #22) reads objects from an S3 store instead: with STORE_USER=KEY:SECRET in the
// environment, a lookup GETs `BASE/<id>` (BASE: the endpoint, bucket and key prefix, `…/items/<appid>`), signed by
// libcurl's own SigV4 (region us-east-1).
#include <curl/curl.h>
#include <errno.h>
#include "cfuse.h"  // libfuse, and the parallel lookups wxmediafs asks for (Sources/CFuse)
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_ITEMS (1u << 20)
struct item {
    char *bytes;
    size_t size, capacity;
};
static struct item items[MAX_ITEMS];  // inode - 2 → the item's bytes
static unsigned count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *base, *token, *store_user;
static __thread CURL *connection;  // one per libfuse thread, kept alive between requests

static size_t collect(char *data, size_t size, size_t n, void *target) {
    struct item *item = target;
    size_t length = size * n;
    if (item->size + length > item->capacity) {
        size_t capacity = item->capacity ? item->capacity * 2 : 65536;
        while (capacity < item->size + length) capacity *= 2;
        char *grown = realloc(item->bytes, capacity);
        if (!grown) return 0;
        item->bytes = grown;
        item->capacity = capacity;
    }
    memcpy(item->bytes + item->size, data, length);
    item->size += length;
    return length;
}

static int fetch(const char *name, struct item *item) {
    const char *dot = strrchr(name, '.');
    size_t length = dot ? (size_t)(dot - name) : strlen(name);
    char url[4096];
    int written = store_user ? snprintf(url, sizeof url, "%s/%.*s", base, (int)length, name)
                             : snprintf(url, sizeof url, "%s/cgi-bin/media/get?access_token=%s&media_id=%.*s", base, token, (int)length, name);
    if (written >= (int)sizeof url) return ENAMETOOLONG;
    if (!connection) connection = curl_easy_init();
    if (!connection) return ENOMEM;
    if (store_user) {
        curl_easy_setopt(connection, CURLOPT_USERPWD, store_user);
        curl_easy_setopt(connection, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
    }
    curl_easy_setopt(connection, CURLOPT_URL, url);
    curl_easy_setopt(connection, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(connection, CURLOPT_WRITEDATA, item);
    curl_easy_setopt(connection, CURLOPT_FAILONERROR, 1L);
    return curl_easy_perform(connection) == CURLE_OK ? 0 : ENOENT;
}

static void attributes(fuse_ino_t inode, off_t size, struct stat *status) {
    memset(status, 0, sizeof *status);
    status->st_ino = inode;
    if (inode == FUSE_ROOT_ID) {
        status->st_mode = S_IFDIR | 0755;
        status->st_nlink = 2;
    } else {
        status->st_mode = S_IFREG | 0444;
        status->st_nlink = 1;
        status->st_size = size;
    }
}

static void http_lookup(fuse_req_t request, fuse_ino_t parent, const char *name) {
    struct item item = {0};
    int error = parent != FUSE_ROOT_ID ? ENOENT : fetch(name, &item);
    if (error) {
        free(item.bytes);
        fuse_reply_err(request, error);
        return;
    }
    pthread_mutex_lock(&lock);
    unsigned slot = count < MAX_ITEMS ? count++ : MAX_ITEMS;
    if (slot < MAX_ITEMS) items[slot] = item;
    pthread_mutex_unlock(&lock);
    if (slot == MAX_ITEMS) {
        free(item.bytes);
        fuse_reply_err(request, ENOSPC);
        return;
    }
    struct fuse_entry_param entry;
    memset(&entry, 0, sizeof entry);
    entry.ino = slot + 2;
    entry.attr_timeout = entry.entry_timeout = 3600;
    attributes(entry.ino, (off_t)item.size, &entry.attr);
    fuse_reply_entry(request, &entry);
}

static void http_getattr(fuse_req_t request, fuse_ino_t inode, struct fuse_file_info *file) {
    (void)file;
    struct stat status;
    attributes(inode, inode == FUSE_ROOT_ID ? 0 : (off_t)items[inode - 2].size, &status);
    fuse_reply_attr(request, &status, 3600);
}

static void http_open(fuse_req_t request, fuse_ino_t inode, struct fuse_file_info *file) {
    (void)inode;
    file->keep_cache = 1;
    file->noflush = 1;
    fuse_reply_open(request, file);
}

static void http_read(fuse_req_t request, fuse_ino_t inode, size_t size, off_t offset, struct fuse_file_info *file) {
    (void)file;
    const struct item *item = &items[inode - 2];
    if ((size_t)offset >= item->size) size = 0;
    else if (offset + size > item->size) size = item->size - (size_t)offset;
    fuse_reply_buf(request, size ? item->bytes + offset : NULL, size);
}

int main(int argc, char **argv) {
    token = getenv("MEDIA_TOKEN");
    store_user = getenv("STORE_USER");
    if (argc != 3 || (!token && !store_user)) return 2;
    base = argv[1];
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static const struct fuse_lowlevel_ops operations = {
        .lookup = http_lookup, .getattr = http_getattr, .open = http_open, .read = http_read,
    };
    char *arguments[] = {argv[0], "-o", "fsname=fuse-http-floor", NULL};
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
