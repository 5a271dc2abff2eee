#!/usr/bin/env python3
"""tests/persist/rdb_old.py: writes an RDB version 9 file as Redis 3.2-6.2 wrote it, with the
ziplist encodings Redis 7.0 no longer writes (lists as quicklists of ziplists, small hashes and
sorted sets as ziplists, sorted sets with text scores), so the loader's support for files from
older servers is tested without an old server. Usage: rdb_old.py OUT_FILE [damaged|zipmap]

With "damaged", the key "ziplist"'s last string entry claims more bytes than its ziplist holds.
With "zipmap", the file also holds "oldzipmap", a hash as Redis before 2.6 wrote it (a zipmap:
an encoding flatline does not load, for the skip-unknown-types option).
"""
import struct
import sys


def crc64(data):
    """CRC-64/Jones, reflected (Redis's RDB trailer)."""
    poly = 0x95AC9329AC4BC9B5
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc


def rdb_len(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    return b"\x80" + struct.pack(">I", n)


def rdb_str(s):
    if isinstance(s, str):
        s = s.encode()
    return rdb_len(len(s)) + s


def zl_entry_body(v):
    """A ziplist entry's encoding and data (without the previous entry's length)."""
    if isinstance(v, int):
        if 0 <= v <= 12:
            return bytes([0xF1 + v])
        if -128 <= v <= 127:
            return b"\xFE" + struct.pack("<b", v)
        if -32768 <= v <= 32767:
            return b"\xC0" + struct.pack("<h", v)
        if -(1 << 23) <= v < (1 << 23):
            return b"\xF0" + struct.pack("<i", v)[:3]
        if -(1 << 31) <= v < (1 << 31):
            return b"\xD0" + struct.pack("<i", v)
        return b"\xE0" + struct.pack("<q", v)
    s = v.encode() if isinstance(v, str) else v
    if len(s) < 64:
        return bytes([len(s)]) + s
    if len(s) < 16384:
        return bytes([0x40 | (len(s) >> 8), len(s) & 0xFF]) + s
    return b"\x80" + struct.pack(">I", len(s)) + s


def ziplist(values, damaged=False):
    entries, prev, tail = b"", 0, 10
    last_str = max(i for i, v in enumerate(values) if not isinstance(v, int))
    for i, v in enumerate(values):
        body = zl_entry_body(v)
        if damaged and i == last_str:
            body = bytes([63]) + body[1:]  # claims 63 bytes: past the ziplist's end
        head = bytes([prev]) if prev < 254 else b"\xFE" + struct.pack("<I", prev)
        tail = 10 + len(entries)
        entries += head + body
        prev = len(head) + len(body)
    total = 10 + len(entries) + 1
    return struct.pack("<IIH", total, tail, len(values)) + entries + b"\xFF"


def main():
    mode = sys.argv[2] if len(sys.argv) > 2 else ""
    out, damaged = sys.argv[1], mode == "damaged"
    b = b"REDIS0009"
    b += b"\xFA" + rdb_str("redis-ver") + rdb_str("6.2.14")
    b += b"\xFE\x00"  # SELECTDB 0
    # RDB_TYPE_LIST_QUICKLIST (14): two ziplist nodes, ints of every width and strings
    nodes = [["a", 0, 12, -1, 127, -128, 300, -30000, 8000000, -8000000],
             [2000000000, -2000000000, 9000000000, "x" * 70, "y" * 20000, "tail"]]
    b += b"\x0E" + rdb_str("oldlist") + rdb_len(len(nodes))
    for n in nodes:
        b += rdb_str(ziplist(n))
    # RDB_TYPE_LIST_ZIPLIST (10), with an expiry (ms, absolute, far in the future)
    b += b"\xFC" + struct.pack("<q", 4102444800000)
    b += b"\x0A" + rdb_str("ziplist") + rdb_str(ziplist(["p", "q", 5], damaged))
    # RDB_TYPE_HASH_ZIPLIST (13)
    b += b"\x0D" + rdb_str("oldhash") + rdb_str(ziplist(["f1", "v1", "f2", 2, "n", -70000]))
    # RDB_TYPE_ZSET_ZIPLIST (12): member, score (text or integer)
    b += b"\x0C" + rdb_str("oldzset") + rdb_str(
        ziplist(["c", -3, "a", 1, "b", "2.5", "d", "10000000000", "e", "inf"]))  # sorted, as Redis keeps them
    # RDB_TYPE_ZSET (3): text scores after a length byte; 254 = +inf, 255 = -inf
    b += b"\x03" + rdb_str("zset1") + rdb_len(3)
    b += rdb_str("m1") + bytes([3]) + b"1.5" + rdb_str("m2") + b"\xFE" + rdb_str("m3") + b"\xFF"
    # RDB_TYPE_SET_INTSET (11): width 2
    b += b"\x0B" + rdb_str("oldints") + rdb_str(struct.pack("<II", 2, 3) + struct.pack("<hhh", -5, 7, 300))
    b += b"\x00" + rdb_str("plain") + rdb_str("value")
    if mode == "zipmap":  # RDB_TYPE_HASH_ZIPMAP (9): {f: v}
        b += b"\x09" + rdb_str("oldzipmap") + rdb_str(b"\x01\x01f\x01\x00v\xFF")
    b += b"\xFF"
    b += struct.pack("<Q", crc64(b))
    with open(out, "wb") as f:
        f.write(b)


main()
