// CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2.
#ifndef SWIFTKAFKA_CRC32C_H
#define SWIFTKAFKA_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Extends `crc` (0 to start) over `length` bytes at `data`. Uses the CPU's crc32 instruction (SSE4.2) when the
/// processor has it, else a portable table-driven loop; both give the same result.
uint32_t swiftkafka_crc32c(uint32_t crc, const void *data, size_t length);

/// The portable implementation alone, for tests that compare the two.
uint32_t swiftkafka_crc32c_portable(uint32_t crc, const void *data, size_t length);

/// 1 when the hardware implementation is in use.
int swiftkafka_crc32c_is_hardware(void);

#endif
