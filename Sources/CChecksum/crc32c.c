#include "cchecksum.h"
#include <pthread.h>
#include <string.h>

static uint32_t table[256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void make_table(void) {
    for (uint32_t index = 0; index < 256; index++) {
        uint32_t crc = index;
        for (int bit = 0; bit < 8; bit++) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        table[index] = crc;
    }
}

static uint32_t software(uint32_t crc, const uint8_t *bytes, size_t length) {
    pthread_once(&table_once, make_table);
    while (length--) crc = (crc >> 8) ^ table[(crc ^ *bytes++) & 0xFF];
    return crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>
__attribute__((target("sse4.2")))
static uint32_t hardware(uint32_t crc, const uint8_t *bytes, size_t length) {
    uint64_t wide = crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        wide = _mm_crc32_u64(wide, word);
        bytes += 8;
        length -= 8;
    }
    uint32_t narrow = (uint32_t)wide;
    while (length--) narrow = _mm_crc32_u8(narrow, *bytes++);
    return narrow;
}
#endif

uint32_t wx_crc32c(uint32_t crc, const void *data, size_t length) {
    const uint8_t *bytes = (const uint8_t *)data;
    crc = ~crc;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) return ~hardware(crc, bytes, length);
#endif
    return ~software(crc, bytes, length);
}

uint32_t wx_crc32c_portable(uint32_t crc, const void *data, size_t length) {
    return ~software(~crc, (const uint8_t *)data, length);
}
