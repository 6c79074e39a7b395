#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include "cfilespace.h"

int wx_punch_hole(int fd, int64_t offset, int64_t length) {
    return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)length);
}

int64_t wx_next_data(int fd, int64_t offset) {
    return (int64_t)lseek(fd, (off_t)offset, SEEK_DATA);
}
