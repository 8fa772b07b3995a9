// CRC-32C: the hardware path interleaves three independent crc32 streams over a block, hiding the instruction's
// 3-cycle latency, and joins them with carry-less "shift" tables (multiplying by x^(8n) mod P); the tail and short
// inputs use one stream. The portable path is slicing-by-8.
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

#define POLY 0x82f63b78u  // reflected Castagnoli polynomial

static uint32_t table[8][256];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int hardware = 0;

// Shift tables for the hardware path: zeros[k][b] advances a CRC over LONG (or SHORT) zero bytes.
#define LONG 8192
#define SHORT 256
static uint32_t long_shift[4][256];
static uint32_t short_shift[4][256];

static uint32_t gf2_times(uint32_t mat[32], uint32_t vec) {
    uint32_t sum = 0;
    int i = 0;
    while (vec) {
        if (vec & 1) sum ^= mat[i];
        vec >>= 1;
        i++;
    }
    return sum;
}

static void gf2_square(uint32_t square[32], uint32_t mat[32]) {
    for (int n = 0; n < 32; n++) square[n] = gf2_times(mat, mat[n]);
}

// Builds the operator that advances a CRC over `length` zero bytes (length a power of two times one byte).
static void zeros_op(uint32_t even[32], size_t length) {
    uint32_t odd[32];
    odd[0] = POLY;
    uint32_t row = 1;
    for (int n = 1; n < 32; n++) {
        odd[n] = row;
        row <<= 1;
    }
    gf2_square(even, odd);  // 2 bits
    gf2_square(odd, even);  // 4 bits
    do {                    // each pass doubles: 1 byte, 2 bytes, ...
        gf2_square(even, odd);
        length >>= 1;
        if (length == 0) return;
        gf2_square(odd, even);
        length >>= 1;
    } while (length);
    for (int n = 0; n < 32; n++) even[n] = odd[n];
}

static void zeros(uint32_t zeros[4][256], size_t length) {
    uint32_t op[32];
    zeros_op(op, length);
    for (uint32_t n = 0; n < 256; n++) {
        zeros[0][n] = gf2_times(op, n);
        zeros[1][n] = gf2_times(op, n << 8);
        zeros[2][n] = gf2_times(op, n << 16);
        zeros[3][n] = gf2_times(op, n << 24);
    }
}

static inline uint32_t shift(uint32_t zeros[4][256], uint32_t crc) {
    return zeros[0][crc & 0xff] ^ zeros[1][(crc >> 8) & 0xff] ^ zeros[2][(crc >> 16) & 0xff] ^ zeros[3][crc >> 24];
}

static void initialize(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = n;
        for (int k = 0; k < 8; k++) crc = crc & 1 ? (crc >> 1) ^ POLY : crc >> 1;
        table[0][n] = crc;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = table[0][n];
        for (int k = 1; k < 8; k++) {
            crc = table[0][crc & 0xff] ^ (crc >> 8);
            table[k][n] = crc;
        }
    }
#if defined(__x86_64__)
    unsigned int eax, ebx, ecx, edx;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_SSE4_2)) {
        hardware = 1;
        zeros(long_shift, LONG);
        zeros(short_shift, SHORT);
    }
#endif
}

uint32_t swiftkafka_crc32c_portable(uint32_t crc, const void *data, size_t length) {
    pthread_once(&once, initialize);
    const unsigned char *next = data;
    crc = ~crc;
    while (length && ((uintptr_t)next & 7)) {
        crc = table[0][(crc ^ *next++) & 0xff] ^ (crc >> 8);
        length--;
    }
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, next, 8);
        word ^= crc;
        crc = table[7][word & 0xff] ^ table[6][(word >> 8) & 0xff] ^ table[5][(word >> 16) & 0xff] ^
              table[4][(word >> 24) & 0xff] ^ table[3][(word >> 32) & 0xff] ^ table[2][(word >> 40) & 0xff] ^
              table[1][(word >> 48) & 0xff] ^ table[0][word >> 56];
        next += 8;
        length -= 8;
    }
    while (length--) crc = table[0][(crc ^ *next++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32c_hardware(uint32_t crc, const void *data, size_t length) {
    const unsigned char *next = data;
    uint64_t crc0 = ~crc;
    while (length && ((uintptr_t)next & 7)) {
        crc0 = _mm_crc32_u8((uint32_t)crc0, *next++);
        length--;
    }
    // Three streams over blocks of 3 × LONG, then 3 × SHORT.
    while (length >= 3 * LONG) {
        uint64_t crc1 = 0, crc2 = 0;
        const unsigned char *end = next + LONG;
        do {
            uint64_t a, b, c;
            memcpy(&a, next, 8);
            memcpy(&b, next + LONG, 8);
            memcpy(&c, next + 2 * LONG, 8);
            crc0 = _mm_crc32_u64(crc0, a);
            crc1 = _mm_crc32_u64(crc1, b);
            crc2 = _mm_crc32_u64(crc2, c);
            next += 8;
        } while (next < end);
        crc0 = shift(long_shift, (uint32_t)crc0) ^ crc1;
        crc0 = shift(long_shift, (uint32_t)crc0) ^ crc2;
        next += 2 * LONG;
        length -= 3 * LONG;
    }
    while (length >= 3 * SHORT) {
        uint64_t crc1 = 0, crc2 = 0;
        const unsigned char *end = next + SHORT;
        do {
            uint64_t a, b, c;
            memcpy(&a, next, 8);
            memcpy(&b, next + SHORT, 8);
            memcpy(&c, next + 2 * SHORT, 8);
            crc0 = _mm_crc32_u64(crc0, a);
            crc1 = _mm_crc32_u64(crc1, b);
            crc2 = _mm_crc32_u64(crc2, c);
            next += 8;
        } while (next < end);
        crc0 = shift(short_shift, (uint32_t)crc0) ^ crc1;
        crc0 = shift(short_shift, (uint32_t)crc0) ^ crc2;
        next += 2 * SHORT;
        length -= 3 * SHORT;
    }
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, next, 8);
        crc0 = _mm_crc32_u64(crc0, word);
        next += 8;
        length -= 8;
    }
    while (length--) crc0 = _mm_crc32_u8((uint32_t)crc0, *next++);
    return ~(uint32_t)crc0;
}
#endif

uint32_t swiftkafka_crc32c(uint32_t crc, const void *data, size_t length) {
    pthread_once(&once, initialize);
#if defined(__x86_64__)
    if (hardware) return crc32c_hardware(crc, data, length);
#endif
    return swiftkafka_crc32c_portable(crc, data, length);
}

int swiftkafka_crc32c_is_hardware(void) {
    pthread_once(&once, initialize);
    return hardware;
}
