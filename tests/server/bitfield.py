#!/usr/bin/env python3
"""tests/server/bitfield.py: BITFIELD and BITFIELD_RO side by side with redis-server 7.0.

Usage:
  bitfield.py run FLATLINE_PORT REDIS_PORT [SEED [COUNT]]
      every malformed form, then COUNT (default 3000) generated commands (random types with
      the edge widths 1/8/63/64 weighted up, offsets plain and #N, across byte boundaries,
      past the end, into a value stored in two blocks, overflow modes, edge and random
      values) on the same keys of both servers: each reply, and the key's value after it,
      must be byte for byte redis-server's. Then MULTI/EXEC and scripts.
  bitfield.py same FLATLINE_PORT REDIS_PORT
      every key of db 0 holds the same on both servers (after a restart of flatline).
  bitfield.py log FLATLINE_PORT INCR_AOF
      a BITFIELD that changes its key appends exactly one record to the log, its effect: a
      SET of a new key's value, a SETRANGE of the bytes it wrote in an existing one (never the
      INCRBYs, which replayed on another state would give another result); one that changes nothing (reads, equal values, OVERFLOW FAIL
      refusals on an existing key) appends none; nor does a SETBIT that changes nothing.
Prints one line per failed check (with the seed to replay it) and a tally; exits 1 on a failure.
"""
import os
import random
import sys

from resp_test import Conn, Tally

TALLY = Tally("flatline", "redis", 50)
check = TALLY.check
KEYS = ["bf0", "bf1", "bf2", "big", "int", "ttl"]
WRONG = "list"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def both(fl, rd, *args):
    """Runs args on both servers, checks the replies are equal; returns flatline's."""
    a, b = fl(*args), rd(*args)
    check(" ".join(str(x) for x in args), a, b)
    return a


def setup(c):
    c("FLUSHALL")
    c("SET", "big", bytes(range(256)) * 5)  # 1,280 bytes: stored in two blocks
    c("SET", "int", "12345")
    c("SET", "ttl", "abc", "EX", "100000")
    c("RPUSH", WRONG, "x")


# ---- Generated commands -------------------------------------------------------------------

def rand_type(rng):
    width = rng.choice([1, 1, 2, 7, 8, 8, 9, 15, 16, 31, 32, 33, 62, 63, 63, 64, 64,
                        rng.randint(1, 64), rng.randint(1, 64)])
    sign = width == 64 or rng.random() < 0.5
    return ("i" if sign else "u") + str(width), width, sign


def rand_offset(rng, width, nbits):
    """A bit offset argument: small, across a byte boundary, near or past the value's end, or
    #N; nbits is the key's length in bits (about)."""
    kind = rng.randrange(6)
    if kind == 0:
        off = rng.randrange(80)
    elif kind == 1:  # straddles a byte boundary
        off = max(0, 8 * rng.randrange(1, 40) - rng.randint(1, max(1, width - 1)))
    elif kind == 2:  # around the end of the value
        off = max(0, nbits + rng.randint(-width - 16, 40))
    elif kind == 3:  # far past it (growth with zeros)
        off = rng.randrange(nbits, nbits + 4000)
    elif kind == 4:
        return "#%d" % rng.randrange(0, 1 + max(1, (nbits + 64) // width))
    else:
        off = rng.randrange(0, max(1, nbits))
    return str(off)


def rand_value(rng, width, sign):
    lo, hi = (-(2 ** (width - 1)), 2 ** (width - 1) - 1) if sign else (0, 2**width - 1)
    v = rng.choice([0, 1, -1, lo, hi, lo - 1, hi + 1, INT64_MIN, INT64_MAX,
                    rng.randint(2 * lo - 2, 2 * hi + 2), rng.randint(lo, hi),
                    rng.randint(INT64_MIN, INT64_MAX), rng.randint(-3, 3)])
    return str(min(INT64_MAX, max(INT64_MIN, v)))


def rand_command(rng, nbits):
    cmd = "BITFIELD_RO" if rng.random() < 0.08 else rng.choice(["BITFIELD", "bitfield"])
    args = []
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.3:
            args += [rng.choice(["OVERFLOW", "overflow"]),
                     rng.choice(["WRAP", "SAT", "FAIL", "wrap", "sat", "fail"])]
        t, width, sign = rand_type(rng)
        op = rng.choice(["GET", "SET", "INCRBY", "get", "incrby"])
        if cmd == "BITFIELD_RO" and rng.random() < 0.8:
            op = "GET"
        args += [op, t, rand_offset(rng, width, nbits)]
        if op.upper() != "GET":
            args.append(rand_value(rng, width, sign))
    return [cmd, rng.choice(KEYS)] + args


def generated(fl, rd, rng, count, seed):
    for i in range(count):
        key = rng.choice(KEYS)
        if rng.random() < 0.02 and key not in ("big", "int", "ttl"):
            both(fl, rd, "DEL", key)
        cur = rd("STRLEN", key)
        args = rand_command(rng, 8 * cur if isinstance(cur, int) else 0)
        got, want = fl(*args), rd(*args)
        check("seed %d #%d: %s" % (seed, i, " ".join(args)), got, want)
        key = args[1]
        check("seed %d #%d: GET %s after it" % (seed, i, key), fl("GET", key), rd("GET", key))
    check("ttl kept its TTL", fl("TTL", "ttl") > 0, rd("TTL", "ttl") > 0)


# ---- Malformed and special forms, in Redis's order of checks ------------------------------

BAD_TYPES = ["x8", "u64", "i65", "i0", "u0", "i", "u", "", "u-1", "U8", "I8", "i08", "u+8",
             "i 8", "8", "u99999999999999999999", "i8\0junk", "i\0", "u63", "i64", "i1", "u1"]
BAD_OFFSETS = ["-1", "#-1", "#", "", "1.5", " 1", "4294967296", "4294967295", "4294967288",
               "#536870912", "#536870911", "#9223372036854775807", "#2305843009213693952",
               "#4611686018427387904", "99999999999999999999", "#0", "-0", "+1", "0x10"]
FORMS = [
    ["bitfield", "k"], ["bitfield", "k", "get"], ["bitfield", "k", "get", "u8"],
    ["bitfield", "k", "set", "u8", "0"], ["bitfield", "k", "incrby", "u8", "0"],
    ["bitfield", "k", "overflow"], ["bitfield", "k", "overflow", "bogus", "get", "u8", "0"],
    ["bitfield", "k", "bogus"], ["bitfield", "k", "bogus", "u8", "0"],
    ["bitfield", "k", "get", "u8", "0", "overflow"], ["bitfield", "k", "set", "u8", "0", "x"],
    ["bitfield", "k", "set", "u8", "0", "1.0"], ["bitfield", "k", "set", "u8", "0", ""],
    ["bitfield", "k", "set", "u8", "0", "9223372036854775808"],
    ["bitfield", "k", "incrby", "i64", "0", "-9223372036854775809"],
    ["bitfield", "k", "set", "u8", "0", "1", "get", "x", "0"],
    ["bitfield", "k", "set", "u8", "0", "1", "get", "u8", "-1"],
    ["bitfield", "k", "overflow", "fail", "get", "u8", "0", "overflow", "sat"],
    ["bitfield", "k", "GeT", "U8", "0"], ["bitfield", "k", "OvErFlOw", "SaT", "iNcRbY", "u8", "0", "300"],
    ["bitfield", WRONG, "get", "u8", "0"], ["bitfield", WRONG, "set", "u8", "0", "1"],
    ["bitfield", WRONG, "get", "x", "0"], ["bitfield", WRONG],
    ["bitfield_ro", WRONG, "get", "u8", "0"], ["bitfield_ro", WRONG, "set", "u8", "0", "1"],
    ["bitfield_ro", "k", "set", "u8", "0", "1"], ["bitfield_ro", "k", "incrby", "u8", "0", "1"],
    ["bitfield_ro", "k", "get", "u8", "0", "set", "u8", "0", "1"],
    ["bitfield_ro", "k", "overflow", "fail"], ["bitfield_ro", "k", "overflow", "fail", "get", "i4", "3"],
    ["bitfield_ro", "k", "set", "x", "0", "1"], ["bitfield_ro", "k", "bogus"],
    ["bitfield_ro", "k"], ["bitfield_ro"], ["bitfield"],
    ["bitfield_ro", "k", "get", "u8", "0", "get", "i64", "3", "get", "u63", "#1"],
    ["bitfield", "missing", "get", "u8", "0"], ["bitfield", "missing"],
    ["bitfield", "missing", "overflow", "fail", "get", "i8", "0"],
]


def malformed(fl, rd):
    for c in (fl, rd):
        c("SET", "k", "hello world")
    for t in BAD_TYPES:
        both(fl, rd, "bitfield", "k", "get", t, "0")
        both(fl, rd, "bitfield", "k", "set", t, "0", "1")
        both(fl, rd, "bitfield_ro", "k", "get", t, "0")
    for o in BAD_OFFSETS:
        for t in ("u8", "i4", "i64", "u1"):
            both(fl, rd, "bitfield", "k", "get", t, o)
            both(fl, rd, "bitfield_ro", "k", "get", t, o)
    for o in ("-1", "#-1", "#", "", "1.5", "4294967296", "#1073741824", "#4611686018427387904",
              "#2305843009213693952", "99999999999999999999", "#0", "+1"):  # writes stay small
        both(fl, rd, "bitfield", "k", "set", "i4", o, "1")
    for f in FORMS:
        both(fl, rd, *f)
        both(fl, rd, "GET", "k")
        both(fl, rd, "EXISTS", "missing")
    # A write whose every operation OVERFLOW FAIL refuses still creates (or grows) the key.
    both(fl, rd, "bitfield", "created", "overflow", "fail", "set", "u8", "100", "300")
    both(fl, rd, "GET", "created")
    both(fl, rd, "bitfield", "created", "overflow", "fail", "incrby", "i8", "200", "1000")
    both(fl, rd, "GET", "created")
    # Redis's own regressions and the limit: proto-max-bulk-len bounds the offset.
    both(fl, rd, "SET", "r", "1")
    both(fl, rd, "bitfield", "r", "get", "u1", "0")
    both(fl, rd, "bitfield", "r2", "SET", "i8", "0", "10", "SET", "i8", "64", "10",
         "INCRBY", "i8", "10", "99900")
    both(fl, rd, "CONFIG", "SET", "proto-max-bulk-len", "1mb")
    for o in ("8388607", "8388608", "#1048576", "#1048575"):
        both(fl, rd, "bitfield", "k", "get", "u8", o)
    both(fl, rd, "bitfield", "lim", "set", "u1", "8388607", "1")
    both(fl, rd, "STRLEN", "lim")
    both(fl, rd, "CONFIG", "SET", "proto-max-bulk-len", "512mb")
    for c in (fl, rd):
        c("DEL", "k", "created", "r", "r2", "lim", "missing")


def transactions_and_scripts(fl, rd):
    """MULTI/EXEC, EVAL (a write), EVAL_RO (BITFIELD refused, BITFIELD_RO allowed)."""
    for c in (fl, rd):
        c("SET", "t", "x")
        c("MULTI")
        c("BITFIELD", "t", "INCRBY", "u8", "0", "1", "GET", "u8", "0")
        c("BITFIELD", "t", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "200")
        c("BITFIELD_RO", "t", "GET", "u4", "4")
        c("BITFIELD", "t", "GET", "x", "0")
    check("MULTI/EXEC", fl("EXEC"), rd("EXEC"))
    both(fl, rd, "GET", "t")
    inc = "return redis.call('bitfield', KEYS[1], 'incrby', 'i5', 3, ARGV[1])"
    both(fl, rd, "EVAL", inc, "1", "t", "7")
    both(fl, rd, "EVAL", inc, "1", "t", "x")
    both(fl, rd, "GET", "t")
    both(fl, rd, "EVAL_RO", "return redis.call('bitfield_ro', KEYS[1], 'get', 'u8', 0)", "1", "t")
    both(fl, rd, "EVAL_RO", "return redis.call('bitfield', KEYS[1], 'get', 'u8', 0)", "1", "t")
    both(fl, rd, "EVAL_RO", inc, "1", "t", "1")
    for _ in range(2):  # the second run finds the script cached: its flag must hold still
        both(fl, rd, "EVAL", "#!lua flags=no-writes\n" + inc, "1", "t", "1")
    sha = both(fl, rd, "SCRIPT", "LOAD", "#!lua flags=no-writes\n" + inc)
    both(fl, rd, "EVALSHA", sha, "1", "t", "1")
    both(fl, rd, "GET", "t")


# ---- Modes --------------------------------------------------------------------------------

def run(fl, rd, seed, count):
    for c in (fl, rd):
        setup(c)
    malformed(fl, rd)
    transactions_and_scripts(fl, rd)
    generated(fl, rd, random.Random(seed), count, seed)


def same(fl, rd):
    keys = sorted(rd("KEYS", "*"))
    check("keys", sorted(fl("KEYS", "*")), keys)
    for k in keys:
        if rd("TYPE", k) == "+string":
            check("GET %r" % k, fl("GET", k), rd("GET", k))


def parse_commands(data):
    """The commands of a RESP log, as lists of bytes."""
    cmds, i = [], 0
    while i < len(data):
        assert data[i:i + 1] == b"*", data[i:i + 40]
        end = data.index(b"\r\n", i)
        n, i, cmd = int(data[i + 1:end]), end + 2, []
        for _ in range(n):
            end = data.index(b"\r\n", i)
            size = int(data[i + 1:end])
            cmd.append(data[end + 2:end + 2 + size])
            i = end + 2 + size + 2
        cmds.append(cmd)
    return cmds


def log_records(fl, path):
    fl("DEL", "lk", "lk2")
    for args, want in (
        (("BITFIELD", "lk", "SET", "u8", "0", "1", "INCRBY", "u8", "8", "5", "GET", "u8", "0",
          "INCRBY", "i16", "20", "-3"), 1),
        (("SETBIT", "lk", "15", "1"), 0),  # SETBIT too: the bit was already 1
        (("SETBIT", "lk", "14", "1"), 1),
        (("BITFIELD", "lk", "GET", "u8", "0", "GET", "i64", "100"), 0),
        (("BITFIELD_RO", "lk", "GET", "u8", "0"), 0),
        (("BITFIELD", "lk", "SET", "u8", "0", "1"), 0),
        (("BITFIELD", "lk", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "255"), 0),
        (("BITFIELD", "lk", "INCRBY", "u8", "0", "1", "INCRBY", "u8", "0", "-1"), 0),
        (("BITFIELD", "lk", "SET", "u1", "100", "0"), 1),  # grows the value only
        (("BITFIELD", "lk", "INCRBY", "i64", "#3", "9", "INCRBY", "u3", "1", "1"), 1),
        (("BITFIELD", "lk2", "OVERFLOW", "FAIL", "SET", "u4", "0", "100"), 1),  # created
        (("BITFIELD", "lk", "GET", "x", "0"), 0),
    ):
        before = os.path.getsize(path)
        reply = fl(*args)
        with open(path, "rb") as f:
            f.seek(before)
            cmds = [c for c in parse_commands(f.read()) if c[0].upper() != b"SELECT"]
        check("%s (reply %r): log records" % (" ".join(args), reply), len(cmds), want)
        value = fl("GET", args[1])
        for c in cmds:  # the effect: SET of a new key's value, SETRANGE of an existing one's bytes
            verb = c[0].upper()
            check("%s: logged as" % " ".join(args), (verb in (b"SET", b"SETRANGE"), c[1]),
                  (True, args[1].encode()))
            if verb == b"SET":
                check("%s: logs the value" % " ".join(args), c[2], value)
            elif verb == b"SETRANGE":
                off = int(c[2])
                check("%s: logs the bytes" % " ".join(args), c[3], value[off:off + len(c[3])])
    fl("DEL", "lk", "lk2")  # flatline only: not compared with redis-server afterwards


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    fl = Conn(port)
    if mode == "run":
        seed = int(sys.argv[4]) if len(sys.argv) > 4 else random.randrange(1 << 30)
        count = int(sys.argv[5]) if len(sys.argv) > 5 else 3000
        print("seed %d, %d generated commands" % (seed, count))
        run(fl, Conn(int(sys.argv[3])), seed, count)
    elif mode == "same":
        same(fl, Conn(int(sys.argv[3])))
    elif mode == "log":
        log_records(fl, sys.argv[3])
    sys.exit(TALLY.report())


main()
