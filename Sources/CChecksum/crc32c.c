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

/* The crc32 instruction has a latency of three cycles and a throughput of one per cycle, so one dependent chain
   runs at a third of the speed the unit allows. As in Mark Adler's crc32c.c (zlib licence), the data is cut into
   three runs that go through three independent chains, and the three CRCs are joined afterwards: the CRC of
   A then B is the CRC of A shifted over len(B) zero bytes, xored with the CRC of B started from 0. The shift is
   a linear map over GF(2), applied byte by byte through four tables built once per run length. */
#define LONG_RUN 8192
#define SHORT_RUN 256
static uint32_t long_shift[4][256], short_shift[4][256];
static pthread_once_t shift_once = PTHREAD_ONCE_INIT;

static uint32_t gf2_times(const uint32_t *matrix, uint32_t vector) {
    uint32_t sum = 0;
    for (; vector; vector >>= 1, matrix++)
        if (vector & 1) sum ^= *matrix;
    return sum;
}

static void gf2_square(uint32_t *square, const uint32_t *matrix) {
    for (int n = 0; n < 32; n++) square[n] = gf2_times(matrix, matrix[n]);
}

/* The operator that runs a CRC register over `bytes` zero bytes, which must be a power of two (LONG_RUN and
   SHORT_RUN are). */
static void zeros_operator(uint32_t operator[32], size_t bytes) {
    uint32_t odd[32], even[32];
    odd[0] = 0x82F63B78u; /* one zero bit */
    for (int n = 1; n < 32; n++) odd[n] = 1u << (n - 1);
    gf2_square(even, odd); /* two bits */
    gf2_square(odd, even); /* four bits */
    uint32_t *result = odd;
    for (size_t done = 0; ; ) { /* each square doubles: 1, 2, 4, … bytes */
        gf2_square(even, odd);
        result = even;
        done = done ? done * 2 : 1;
        if (done == bytes) break;
        gf2_square(odd, even);
        result = odd;
        done *= 2;
        if (done == bytes) break;
    }
    memcpy(operator, result, sizeof(uint32_t) * 32);
}

static void shift_table(uint32_t shifts[4][256], size_t bytes) {
    uint32_t operator[32];
    zeros_operator(operator, bytes);
    for (uint32_t n = 0; n < 256; n++)
        for (int lane = 0; lane < 4; lane++) shifts[lane][n] = gf2_times(operator, n << (8 * lane));
}

static void make_shift_tables(void) {
    shift_table(long_shift, LONG_RUN);
    shift_table(short_shift, SHORT_RUN);
}

static inline uint32_t shift(uint32_t shifts[4][256], uint32_t crc) {
    return shifts[0][crc & 0xFF] ^ shifts[1][(crc >> 8) & 0xFF] ^ shifts[2][(crc >> 16) & 0xFF] ^ shifts[3][crc >> 24];
}

static inline uint64_t load64(const uint8_t *bytes) {
    uint64_t word;
    memcpy(&word, bytes, 8);
    return word;
}

/* Three chains over runs of `run` bytes each, as long as three runs are left. */
__attribute__((target("sse4.2")))
static inline uint64_t three_chains(uint64_t crc0, const uint8_t **bytes, size_t *length, size_t run, uint32_t shifts[4][256]) {
    while (*length >= 3 * run) {
        const uint8_t *next = *bytes, *end = next + run;
        uint64_t crc1 = 0, crc2 = 0;
        do {
            crc0 = _mm_crc32_u64(crc0, load64(next));
            crc1 = _mm_crc32_u64(crc1, load64(next + run));
            crc2 = _mm_crc32_u64(crc2, load64(next + 2 * run));
            next += 8;
        } while (next < end);
        crc0 = shift(shifts, (uint32_t)crc0) ^ (uint32_t)crc1;
        crc0 = shift(shifts, (uint32_t)crc0) ^ (uint32_t)crc2;
        *bytes += 3 * run;
        *length -= 3 * run;
    }
    return crc0;
}

__attribute__((target("sse4.2")))
static uint32_t hardware(uint32_t crc, const uint8_t *bytes, size_t length) {
    pthread_once(&shift_once, make_shift_tables);
    uint64_t wide = crc;
    wide = three_chains(wide, &bytes, &length, LONG_RUN, long_shift);
    wide = three_chains(wide, &bytes, &length, SHORT_RUN, short_shift);
    while (length >= 8) {
        wide = _mm_crc32_u64(wide, load64(bytes));
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
