// CRC-32C (Castagnoli) for the block cache: the SSE4.2 instruction where the CPU has it, a table otherwise.
#ifndef WXMEDIAFS_CCHECKSUM_H
#define WXMEDIAFS_CCHECKSUM_H
#include <stddef.h>
#include <stdint.h>

/// Continues `crc` (0 to start) over `length` bytes at `data`.
uint32_t wx_crc32c(uint32_t crc, const void *data, size_t length);

/// The table version alone (what CPUs without SSE4.2 use), for tests.
uint32_t wx_crc32c_portable(uint32_t crc, const void *data, size_t length);

#endif
