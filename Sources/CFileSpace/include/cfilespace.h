// Disk space of a file: what Swift's Glibc module does not import (fallocate and its flags need _GNU_SOURCE).
#ifndef WXMEDIAFS_CFILESPACE_H
#define WXMEDIAFS_CFILESPACE_H
#include <stdint.h>

/// Frees the disk blocks of [offset, offset + length) of the file at `fd`, keeping its size (the range then reads
/// as zeros). 0, or -1 with errno (EOPNOTSUPP where the file system cannot).
int wx_punch_hole(int fd, int64_t offset, int64_t length);

/// The first offset at or after `offset` that holds data (SEEK_DATA), or -1 with errno (ENXIO: none).
int64_t wx_next_data(int fd, int64_t offset);

#endif
