#!/usr/bin/env python3
"""Seed corpora for the libFuzzer targets of Fuzz/, made from the golden client captures
(Tests/KafkaProtocolTests/Fixtures/golden: real requests from librdkafka, kafka-python, aiokafka and kcat).

    fuzz_seeds.py TARGET DIRECTORY

FuzzRequests: every captured frame, size-prefixed, and each capture's whole client-to-broker stream.
FuzzRecords:  every v2 batch found in a captured Produce request (flags 0 and 2: checksums as sent, and recomputed
              after mutation), and v0/v1 message sets, plain and gzip-wrapped (flags 1 and 3).
FuzzCodecs:   the compressed records sections of those batches, each behind its codec byte.
FuzzVarints:  varints at their limits and a compact string.
Standard library only: it runs before any virtual environment exists."""
import glob
import gzip
import hashlib
import os
import struct
import sys
import zlib

GOLDEN = os.path.join(os.path.dirname(__file__), "../../Tests/KafkaProtocolTests/Fixtures/golden")


def frames():
    """(file name, api name, frame bytes without the size prefix) for every captured request."""
    for path in sorted(glob.glob(f"{GOLDEN}/*.txt")):
        for line in open(path):
            api, _version, data = line.split()
            yield os.path.basename(path), api, bytes.fromhex(data)


def batches():
    """Every v2 batch inside a captured Produce request: found where a records length (int32, or a varint for
    v9) is followed by a batch whose BatchLength fills exactly that many bytes and whose magic is 2."""
    for _, api, frame in frames():
        if api != "Produce":
            continue
        for start in range(4, len(frame) - 61):
            (length,) = struct.unpack_from(">i", frame, start + 8)
            size = length + 12
            if frame[start + 16] != 2 or size < 61 or start + size > len(frame):
                continue
            if struct.unpack_from(">i", frame, start - 4)[0] == size or varint_before(frame, start) == size:
                yield frame[start:start + size]


def varint_before(frame, start):
    """The unsigned varint (compact length, size + 1) that ends at `start`, minus one; or None."""
    for width in range(1, 4):
        if start - width < 0:
            return None
        value, shift = 0, 0
        for byte in frame[start - width:start]:
            value |= (byte & 0x7F) << shift
            shift += 7
        if all(b & 0x80 for b in frame[start - width:start - 1]) and not frame[start - 1] & 0x80:
            return value - 1
    return None


def legacy_message(magic, offset, key, value, attributes=0, timestamp=1_700_000_000_000):
    body = struct.pack(">bb", magic, attributes)
    if magic == 1:
        body += struct.pack(">q", timestamp)
    for part in (key, value):
        body += struct.pack(">i", -1) if part is None else struct.pack(">i", len(part)) + part
    message = struct.pack(">I", zlib.crc32(body)) + body
    return struct.pack(">qi", offset, len(message)) + message


def legacy_sets():
    plain = b"".join(legacy_message(1, i, f"key-{i}".encode(), f"value-{i}".encode()) for i in range(3))
    yield plain
    yield b"".join(legacy_message(0, i, None, f"value-{i}".encode()) for i in range(3))
    yield legacy_message(1, 2, None, gzip.compress(plain), attributes=1)  # a gzip wrapper around three messages


def seeds(target):
    if target == "FuzzRequests":
        streams = {}
        for name, _, frame in frames():
            framed = struct.pack(">i", len(frame)) + frame
            streams[name] = streams.get(name, b"") + framed
            yield framed
        yield from streams.values()
    elif target == "FuzzRecords":
        for batch in batches():
            yield b"\x00" + batch
            yield b"\x02" + batch
        for message_set in legacy_sets():
            yield b"\x01" + message_set
            yield b"\x03" + message_set
    elif target == "FuzzCodecs":
        for batch in batches():
            (attributes,) = struct.unpack_from(">h", batch, 21)
            yield bytes([attributes & 7]) + batch[61:]
        yield b"\x01" + gzip.compress(b"value-0 value-1 value-2" * 10)
    elif target == "FuzzVarints":
        yield bytes([0x00, 0x01, 0x02, 0x06]) + b"hello"
        yield bytes([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) * 3
        yield bytes([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
    else:
        raise SystemExit(f"unknown fuzz target {target}")


def main():
    target, directory = sys.argv[1], sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    count = 0
    for seed in seeds(target):
        with open(os.path.join(directory, "seed-" + hashlib.sha1(seed).hexdigest()), "wb") as f:
            f.write(seed)
        count += 1
    print(count)


if __name__ == "__main__":
    main()
