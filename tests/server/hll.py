#!/usr/bin/env python3
"""tests/server/hll.py: the HyperLogLog commands side by side with redis-server 7.0.

Usage: hll.py FLATLINE_PORT REDIS_PORT. Every command goes to both servers and every reply is
compared, as are the raw values (GET) after each step, so the bytes (sparse opcodes, dense
registers, the cached cardinality) must be redis-server's exactly:
  - random element sets of several sizes (HLL_SIZES, default modest for CI; e.g.
    HLL_SIZES=0,1000,200000 for a sweep) added by PFADD in random batches, PFCOUNT before and
    after the cache is refreshed, the encoding, PFDEBUG DECODE / GETREG;
  - PFCOUNT over several keys (missing ones too), PFMERGE into a new, a sparse and a dense
    destination, the destination among the sources;
  - hll-sparse-max-bytes through CONFIG SET/GET, PFDEBUG TODENSE, the errors (wrong types,
    strings that are no HLL, corrupt sparse values, PFDEBUG's own), PFSELFTEST;
  - DUMP / RESTORE both ways, then more PFADDs on both;
  - a PFADD keeps the key's TTL (flatline only: Redis's own behaviour, checked by value).
Seeded by HLL_SEED (printed) so a failure can be replayed. Leaves the same keys on both
servers for hll.sh's restart and RDB checks.
"""
import os
import random
import sys

from resp_test import Conn, Tally

TALLY = Tally("flatline", "redis")
check = TALLY.check


class Both:
    """One command on both servers, the replies compared."""

    def __init__(self, fl, rd):
        self.fl, self.rd = fl, rd

    def __call__(self, *args):
        got, want = self.fl(*args), self.rd(*args)
        check(" ".join(str(a)[:40] for a in args[:4]), got, want)
        return want

    def many(self, what, commands):
        got, want = self.fl.many(commands), self.rd.many(commands)
        check(what, got, want)
        return want

    def same_value(self, key, what=""):
        self("GET", key)
        return self.rd("GET", key)


def elements(rnd, n):
    """n distinct-ish elements: binary strings, numbers, text of varied lengths."""
    out = []
    for i in range(n):
        kind = rnd.randrange(3)
        if kind == 0:
            out.append(bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 24))))
        elif kind == 1:
            out.append(str(rnd.randrange(-10**12, 10**12)).encode())
        else:
            out.append(("ele:%d:%d" % (i, rnd.randrange(10**9))).encode())
    return out


def add_in_batches(b, rnd, key, eles):
    cmds, i = [], 0
    while i < len(eles):
        n = rnd.randrange(1, 120)
        cmds.append(("PFADD", key, *eles[i:i + n]))
        i += n
    for j in range(0, len(cmds), 200):
        b.many("PFADD batches into %s" % key, cmds[j:j + 200])


def sets(b, rnd, sizes):
    keys = []
    for n in sizes:
        key = "hll:%d" % n
        add_in_batches(b, rnd, key, elements(rnd, n))
        if n == 0:
            b("PFADD", key)  # creates the key, as Redis does
        b.same_value(key)
        b("PFDEBUG", "ENCODING", key)
        b("PFCOUNT", key)
        b.same_value(key)  # the cache written by PFCOUNT
        b("PFCOUNT", key)
        b("PFADD", key, "one-more-%d" % n, "and-another")
        b.same_value(key)
        b("PFDEBUG", "DECODE", key)
        keys.append(key)
    return keys


def unions(b, rnd, keys):
    for _ in range(12):
        pick = rnd.sample(keys, rnd.randrange(2, min(5, len(keys)) + 1))
        b("PFCOUNT", *pick)
        b("PFCOUNT", *pick, "hll:missing")
    b("PFCOUNT", "hll:missing", "hll:missing2")
    sparse = [k for k in keys if b.rd("PFDEBUG", "ENCODING", k) == "+sparse"]
    dense = [k for k in keys if b.rd("PFDEBUG", "ENCODING", k) == "+dense"]
    b("PFMERGE", "m:new", *sparse[:3])
    b.same_value("m:new")
    b("PFDEBUG", "ENCODING", "m:new")
    b("PFMERGE", "m:sparse", *sparse[1:2])
    b("PFMERGE", "m:sparse", *sparse[2:4])  # existing sparse destination among sparse sources
    b.same_value("m:sparse")
    b("PFMERGE", "m:mixed", sparse[0], *dense[:2])
    b.same_value("m:mixed")
    b("PFMERGE", "m:sparse2", *sparse[:2])
    b("PFMERGE", "m:sparse2", "m:sparse2", *dense[-1:])  # a dense source makes it dense
    b.same_value("m:sparse2")
    b("PFMERGE", "m:empty")
    b("PFMERGE", "m:empty2", "hll:missing")
    b.same_value("m:empty2")
    b("PFCOUNT", "m:new", "m:mixed", "m:sparse2")
    for k in ("m:new", "m:sparse", "m:mixed", "m:sparse2"):
        b("PFCOUNT", k)
        b.same_value(k)


def debug(b, keys):
    b("PFADD", "d:1", "a", "b", "c")
    b("PFDEBUG", "GETREG", "d:1")  # converts to dense
    b.same_value("d:1")
    b("PFDEBUG", "ENCODING", "d:1")
    b("PFDEBUG", "DECODE", "d:1")
    b("PFADD", "d:2", "x", "y")
    b("PFDEBUG", "TODENSE", "d:2")
    b("PFDEBUG", "TODENSE", "d:2")
    b.same_value("d:2")
    b("PFDEBUG", "getreg", keys[-1])
    b("PFDEBUG", "nosuch", "d:2")
    b("PFDEBUG", "nosuch", "d:nokey")
    b("PFDEBUG", "GETREG", "d:nokey")
    b("PFDEBUG", "GETREG")
    b("PFDEBUG", "GETREG", "d:1", "extra")
    b("PFSELFTEST", "x")
    b("PFADD")
    b("PFCOUNT")
    b("PFMERGE")


def sparse_limit(b, rnd):
    b("CONFIG", "GET", "hll-sparse-max-bytes")
    for limit in (0, 40, 300, 5000):
        b("CONFIG", "SET", "hll-sparse-max-bytes", limit)
        b("CONFIG", "GET", "hll-sparse-max-bytes")
        key = "lim:%d" % limit
        add_in_batches(b, rnd, key, elements(rnd, 1500))
        b("PFDEBUG", "ENCODING", key)
        b.same_value(key)
        b("PFMERGE", key + ":m", "hll:100")
        b.same_value(key + ":m")
    b("CONFIG", "SET", "hll-sparse-max-bytes", "-1")
    b("CONFIG", "SET", "hll-sparse-max-bytes", "3000")


def errors(b, rnd):
    b("RPUSH", "e:list", "x")
    b("SET", "e:str", "hello")
    b("SET", "e:int", "123456789")
    b("SET", "e:magic", "HYLX" + "\0" * 20)
    b("SET", "e:enc", b"HYLL\x02" + b"\0" * 20)
    b("SET", "e:dense", b"HYLL\x00" + b"\0" * 100)  # dense of the wrong length
    for k in ("e:list", "e:str", "e:int", "e:magic", "e:enc", "e:dense"):
        b("PFADD", k, "a")
        b("PFCOUNT", k)
        b("PFCOUNT", "hll:100", k)
        b("PFMERGE", k, "hll:100")
        b("PFMERGE", "e:dest", "hll:100", k)
        b("PFDEBUG", "ENCODING", k)
    b("EXISTS", "e:dest")
    # Corrupt sparse values: opcodes covering too few or too many registers, cut opcodes,
    # random bytes. Each is written to both servers, then read and edited alike.
    b("PFADD", "e:base", *elements(rnd, 40))
    base = b.rd("GET", "e:base")
    b("PFADD", "e:big", *elements(rnd, 700))
    big = b.rd("GET", "e:big")
    corrupt = [
        base[:16],  # no opcodes at all
        base[:-1],  # the last opcode cut
        base + b"\x00",  # one register too many
        base[:16] + b"\x7f\xff\x7f\xff",  # XZERO 16384 twice
        base[:16] + b"\x7f",  # an XZERO missing its second byte
        base[:16] + b"\x3f\xff\x80",  # 64 zeros, XZERO 16128, VAL (one more)
    ]
    while len(corrupt) < 6 + int(os.environ.get("HLL_CORRUPT", "25")):
        v = bytearray(base if rnd.randrange(2) else big)
        for _ in range(rnd.randrange(1, 4)):
            at, kind = rnd.randrange(16, len(v)), rnd.randrange(4)
            if kind == 0:
                del v[at]
            elif kind == 1:
                v.insert(at, rnd.randrange(256))
            else:
                v[at] = rnd.randrange(256)
        # Not one whose last opcode is an XZERO cut by the end: Redis reads its second byte
        # past the string, where an earlier edit may have left anything (hll.c).
        if not ends_in_cut_xzero(bytes(v)):
            corrupt.append(bytes(v))
    for i, v in enumerate(corrupt):
        k = "e:bad%d" % i
        b("SET", k, v)
        b("PFCOUNT", k)
        b("PFCOUNT", k, "hll:10")
        b("PFDEBUG", "DECODE", k)
        b("PFMERGE", "e:m%d" % i, k)
        b("EXISTS", "e:m%d" % i)
        b("PFADD", k, *elements(rnd, 8))
        if not ends_in_cut_xzero(b.same_value(k)):  # else Redis kept a byte past it (above)
            b("PFDEBUG", "TODENSE", k)
            b.same_value(k)
        b("DEL", k, "e:m%d" % i)


def ends_in_cut_xzero(v):
    i = 16
    while i < len(v):
        if (v[i] & 0xc0) == 0x40:
            if i == len(v) - 1:
                return True
            i += 2
        else:
            i += 1
    return False


def transfer(b, rnd):
    """DUMP in one server, RESTORE in the other, then edit both alike."""
    b.fl("DEL", "t:from-redis", "t:from-flatline")
    b.rd("DEL", "t:from-redis", "t:from-flatline")
    for src, dst, key in ((b.rd, b.fl, "t:from-redis"), (b.fl, b.rd, "t:from-flatline")):
        src("DEL", "t:src")
        eles = elements(rnd, 3000)
        for i in range(0, len(eles), 100):
            src("PFADD", "t:src", *eles[i:i + 100])
        payload = src("DUMP", "t:src")
        src("DEL", "t:src")
        # both get the value: the other server through RESTORE of the payload
        b.fl("RESTORE", key, 0, payload)
        b.rd("RESTORE", key, 0, payload)
        b.same_value(key)
        b("PFCOUNT", key)
        b("PFADD", key, *elements(rnd, 50))
        b("PFCOUNT", key)
        b.same_value(key)
    check("DUMP payloads of one HLL", b.fl("DUMP", "t:from-redis"), b.rd("DUMP", "t:from-redis"))


def ttl_kept(fl):
    fl("PFADD", "ttl:k", "a")
    fl("PEXPIRE", "ttl:k", 600000)
    fl("PFADD", "ttl:k", *["e%d" % i for i in range(2000)])  # sparse, then dense
    fl("PFCOUNT", "ttl:k")
    fl("PFMERGE", "ttl:k", "hll:100")
    ttl = fl("PTTL", "ttl:k")
    check("PTTL after PFADD / PFCOUNT / PFMERGE", 0 < ttl <= 600000, True)
    fl("DEL", "ttl:k")


def transaction(b):
    for c in (b.fl, b.rd):
        c("MULTI")
        c("PFADD", "x:k", "a", "b")
        c("PFCOUNT", "x:k")
        c("PFMERGE", "x:m", "x:k", "hll:100")
        c("PFCOUNT", "x:m")
    check("PFADD / PFCOUNT / PFMERGE in MULTI", b.fl("EXEC"), b.rd("EXEC"))
    b.same_value("x:m")


def scripts_and_acl(b, ports):
    """PFADD / PFCOUNT from scripts (PFCOUNT refused in read-only ones: it may write the
    cache), and the key permissions ACL rules ask of each command."""
    b("DEL", "s:k")
    b("EVAL", "redis.call('pfadd', KEYS[1], 'a', 'b'); return redis.call('pfcount', KEYS[1], KEYS[2])",
      2, "s:k", "s:other")
    b("EVAL_RO", "return redis.call('pfcount', KEYS[1])", 1, "s:k")
    b("EVAL_RO", "return redis.call('pfcount', KEYS[1], KEYS[2])", 1, "s:k", "s:other")
    b("EVAL", "return redis.call('pfcount', KEYS[1])", 1, "s:k")
    b.same_value("s:k")
    b("ACL", "SETUSER", "hll-ro", "on", "nopass", "%R~*", "+@all")
    b("ACL", "SETUSER", "hll-w", "on", "nopass", "%W~s:*", "%R~hll:*", "+@all")
    b("ACL", "SETUSER", "hll-src", "on", "nopass", "~s:m", "%R~s:k", "%R~hll:*", "+@all")
    for name in ("hll-ro", "hll-w", "hll-src"):
        u = Both(Conn(ports[0]), Conn(ports[1]))
        u("AUTH", name, "x")
        u("PFCOUNT", "s:k")
        u("PFCOUNT", "s:k", "hll:10")
        u("PFADD", "s:k", "c")
        u("PFMERGE", "s:m", "hll:10")
        u("PFMERGE", "s:m", "s:k")
        u("PFDEBUG", "ENCODING", "s:k")
    b("ACL", "DELUSER", "hll-ro", "hll-w", "hll-src")
    b.same_value("s:m")


def main():
    fl, rd = Conn(int(sys.argv[1])), Conn(int(sys.argv[2]))
    b = Both(fl, rd)
    seed = int(os.environ.get("HLL_SEED", random.randrange(1 << 30)))
    print("HLL_SEED=%d" % seed)
    rnd = random.Random(seed)
    sizes = [int(s) for s in os.environ.get("HLL_SIZES", "0,1,2,7,60,300,900,2500,12000").split(",")]
    fl("FLUSHALL")
    rd("FLUSHALL")
    keys = sets(b, rnd, sizes + [10, 100])
    unions(b, rnd, keys)
    debug(b, keys)
    sparse_limit(b, rnd)
    errors(b, rnd)
    transfer(b, rnd)
    ttl_kept(fl)
    transaction(b)
    scripts_and_acl(b, (int(sys.argv[1]), int(sys.argv[2])))
    check("PFSELFTEST", fl("PFSELFTEST"), "+OK")
    check("same keys", sorted(fl("KEYS", "*")), sorted(rd("KEYS", "*")))
    sys.exit(TALLY.report())


main()
