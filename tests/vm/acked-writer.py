#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Acknowledged-write ledger for the fault tests (tests/vm/faults.sh): proves that no write the
# device acknowledged is lost across a fault, even when the fault ends in I/O errors.
#
#   acked-writer.py write DEV OFFSET_MIB SIZE_MIB LEDGER
#       writes 64 KiB blocks round and round the region with O_DIRECT|O_DSYNC until SIGTERM (exit 0)
#       or an I/O error (exit 1, naming the error); after each write that returned success it appends
#       "block generation" to LEDGER (the write that failed is noted as unacknowledged: it may or may not
#       have reached the disk). A block's content is derived from (block, generation), so a
#       stale or lost write reads back different.
#   acked-writer.py verify DEV OFFSET_MIB LEDGER
#       reads back the last acknowledged generation of every block; exit 1 on the first mismatch.
import mmap
import os
import random
import signal
import sys
import time

BLOCK = 64 * 1024


def content(block, generation):
    return random.Random(block * 1_000_003 + generation).randbytes(BLOCK)


def open_dev(path, flags):
    return os.open(path, flags | os.O_DIRECT)


def write(dev, offset_mib, size_mib, ledger_path):
    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    blocks = size_mib * 1024 * 1024 // BLOCK
    base = offset_mib * 1024 * 1024
    fd = open_dev(dev, os.O_WRONLY | os.O_DSYNC)
    buf = mmap.mmap(-1, BLOCK)  # page aligned, as O_DIRECT wants
    acked = 0
    last_ack = time.monotonic()
    with open(ledger_path, "w", buffering=1) as ledger:
        generation = 0
        while not stop:
            generation += 1
            for block in range(blocks):
                if stop:
                    break
                buf[:] = content(block, generation)
                try:
                    os.pwrite(fd, buf, base + block * BLOCK)
                except OSError as e:
                    # The target may or may not have applied a failed write: either content is fine.
                    ledger.write(f"{block} {generation} unacknowledged\n")
                    print(f"acked-writer: {os.strerror(e.errno)} (errno {e.errno}) after {acked} acknowledged "
                          f"writes, {time.monotonic() - last_ack:.1f} s after the last one", flush=True)
                    return 1
                ledger.write(f"{block} {generation}\n")
                acked += 1
                last_ack = time.monotonic()
    print(f"acked-writer: stopped after {acked} acknowledged writes", flush=True)
    return 0


def verify(dev, offset_mib, ledger_path):
    last = {}
    maybe = {}
    with open(ledger_path) as ledger:
        for line in ledger:
            fields = line.split()
            if len(fields) == 3:
                maybe[int(fields[0])] = int(fields[1])
            else:
                last[int(fields[0])] = int(fields[1])
    base = offset_mib * 1024 * 1024
    fd = open_dev(dev, os.O_RDONLY)
    buf = mmap.mmap(-1, BLOCK)
    for block, generation in sorted(last.items()):
        if os.preadv(fd, [buf], base + block * BLOCK) != BLOCK:
            print(f"acked-writer: short read of block {block}")
            return 1
        if buf[:] != content(block, generation) and (block not in maybe or buf[:] != content(block, maybe[block])):
            print(f"acked-writer: block {block} does not hold its acknowledged generation {generation}")
            return 1
    print(f"acked-writer: {len(last)} blocks hold their last acknowledged write")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "write":
        sys.exit(write(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]))
    if len(sys.argv) == 5 and sys.argv[1] == "verify":
        sys.exit(verify(sys.argv[2], int(sys.argv[3]), sys.argv[4]))
    print("usage: acked-writer.py write DEV OFFSET_MIB SIZE_MIB LEDGER | verify DEV OFFSET_MIB LEDGER",
          file=sys.stderr)
    sys.exit(2)
