#!/usr/bin/env python3
"""tests/server/dump_restore.py: DUMP and RESTORE side by side with redis-server 7.0.

Usage: dump_restore.py FLATLINE_PORT REDIS_PORT. Prints one line per failed check and a tally;
exits 1 when a check failed. Payloads are binary, so this speaks RESP itself.
  - every type in each encoding Redis uses, dumped by flatline and restored in redis-server,
    and dumped by redis-server and restored in flatline, reads back the same on both;
  - the errors and their order (options, BUSYKEY, TTL, footer, value) are Redis's;
  - TTL, ABSTTL (a passed deadline creates nothing, REPLACE still deletes), IDLETIME;
  - a payload that does not decode leaves the old value (REPLACE), and so does the quota.
"""
import sys
import time

from resp_test import Conn, Tally

TALLY = Tally()
check = TALLY.check


def content(c, key):
    t = c("TYPE", key)
    if t == "+list":
        return t, c("LRANGE", key, 0, -1)
    if t == "+set":
        return t, sorted(c("SMEMBERS", key))
    if t == "+zset":
        return t, c("ZRANGE", key, 0, -1, "WITHSCORES")
    if t == "+hash":
        v = c("HGETALL", key)
        return t, sorted(zip(v[::2], v[1::2]))
    return t, c("GET", key)


def fill(c):
    """The same data on both servers, in every encoding redis-server uses."""
    c("FLUSHALL")
    c("RPUSH", "lsmall", "a", 1, -5, 70000, 9000000000, "x")
    c("RPUSH", "lbig", *["e%d" % i for i in range(2000)])
    c("RPUSH", "llong", "x" * 70000, "y")
    c("SADD", "sint", 1, 2, -3, 9000000000)
    c("SADD", "sbig", *["m%d" % i for i in range(600)])
    c("ZADD", "zsmall", 1, "a", 2.5, "b", "-inf", "c", "inf", "d")
    c("ZADD", "zbig", *sum([[i, "m%d" % i] for i in range(300)], []))
    c("HSET", "hsmall", "f1", "v1", "f2", 2)
    c("HSET", "hbig", *sum([["f%d" % i, "v%d" % i] for i in range(700)], []))
    c("SET", "sraw", "hello")
    c("SET", "sint2", 12345)
    c("SET", "slong", "z" * 100000)


KEYS = ["lsmall", "lbig", "llong", "sint", "sbig", "zsmall", "zbig", "hsmall", "hbig",
        "sraw", "sint2", "slong"]


def main():
    fl, rd = Conn(int(sys.argv[1])), Conn(int(sys.argv[2]))
    for c in (fl, rd):
        fill(c)
    for src, dst, name in ((fl, rd, "flatline -> redis"), (rd, fl, "redis -> flatline")):
        for k in KEYS:
            payload = src("DUMP", k)
            check("%s: RESTORE %s" % (name, k), dst("RESTORE", k + "_c", 0, payload), "+OK")
            check("%s: %s restored" % (name, k), content(dst, k + "_c"), content(src, k))
    check("DUMP of a missing key", fl("DUMP", "nosuch"), rd("DUMP", "nosuch"))

    # Errors, in Redis's order, side by side.
    good = fl("DUMP", "sraw")
    bad_crc = good[:-1] + bytes([good[-1] ^ 1])
    bad_ver = good[:-10] + bytes([99, 0]) + good[-8:]
    for args in (("sraw", 0, good), ("sraw", 0, good, "bogus"), ("new", -1, good),
                 ("new", "x", good), ("new", 0, bad_crc), ("new", 0, bad_ver), ("new", 0, "short"),
                 ("new", 0, good, "idletime", -1), ("new", 0, good, "freq", 256),
                 ("new", 0, good, "idletime", 1, "freq", 1), ("new", 0, good, "idletime"),
                 ("sraw", -1, bad_crc), ("sraw", 0, bad_crc, "replace")):
        check("RESTORE %r" % (args[:2] + args[3:],), fl("RESTORE", *args), rd("RESTORE", *args))
    # A value whose footer is right but whose body does not decode: Redis's error, and the old
    # value stays (REPLACE).
    body = bytes([0, 200]) + b"x" * 3 + bytes([10, 0])  # a string claiming 200 bytes, 3 there
    crc = crc64(body)
    broken = body + crc.to_bytes(8, "little")
    check("RESTORE of a body that does not decode", fl("RESTORE", "sraw", 0, broken, "REPLACE"),
          rd("RESTORE", "sraw", 0, broken, "REPLACE"))
    check("the old value after a failed RESTORE REPLACE", fl("GET", "sraw"), b"hello")

    # TTLs.
    check("RESTORE with a TTL", fl("RESTORE", "t1", 5000, good), "+OK")
    pttl = fl("PTTL", "t1")
    check("PTTL after RESTORE 5000", 4000 <= pttl <= 5000, True)
    at = int(time.time() * 1000) + 60000
    check("RESTORE ABSTTL", fl("RESTORE", "t2", at, good, "ABSTTL"), "+OK")
    check("PEXPIRETIME after ABSTTL", fl("PEXPIRETIME", "t2"), at)
    check("RESTORE with a passed ABSTTL", fl("RESTORE", "t3", 1000, good, "ABSTTL"), "+OK")
    check("a passed ABSTTL creates nothing", fl("EXISTS", "t3"), 0)
    check("RESTORE REPLACE with a passed ABSTTL", fl("RESTORE", "t2", 1000, good, "ABSTTL", "REPLACE"), "+OK")
    check("... deletes the old key", fl("EXISTS", "t2"), 0)
    check("RESTORE IDLETIME", fl("RESTORE", "t4", 0, good, "IDLETIME", 1000), "+OK")
    idle = fl("OBJECT", "IDLETIME", "t4")
    check("OBJECT IDLETIME after IDLETIME 1000", 1000 <= idle <= 1010, True)
    check("RESTORE REPLACE over another type", fl("RESTORE", "lsmall", 0, good, "REPLACE"), "+OK")
    check("... holds the new value", content(fl, "lsmall"), ("+string", b"hello"))

    # The quota: a namespace too small for the value (db 2: 1 MB, see dump_restore.sh) refuses
    # it and keeps the old one.
    tiny = Conn(int(sys.argv[1]))
    if tiny("SELECT", 2) == "+OK" and tiny("SET", "old", "kept") == "+OK":
        big = fl("DUMP", "slong")
        for i in range(40):
            if tiny("RESTORE", "k%d" % i, 0, big).startswith("-OOM"):
                break
        r = tiny("RESTORE", "old", 0, big, "REPLACE")
        check("RESTORE over the quota", r.startswith("-OOM"), True)
        check("the old value after an OOM RESTORE", tiny("GET", "old"), b"kept")

    sys.exit(TALLY.report())


def crc64(data):
    poly, crc = 0x95AC9329AC4BC9B5, 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc


main()
