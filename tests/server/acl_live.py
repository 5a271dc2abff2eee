#!/usr/bin/env python3
"""tests/server/acl_live.py MODE FLATLINE_PORT REDIS_PORT: ACL rules changed while clients are
connected, played against both servers on raw connections; prints "same" when flatline behaves
as redis-server 7.0.15 does, else what differs (acl_movable.sh checks it).

  exec     a transaction queued as user w, whose rules lose GET, the channels and key q before
           EXEC: EXEC's whole reply (each refused command gets Redis's NOPERM message)
  revoked  a subscriber (SUBSCRIBE, then PSUBSCRIBE) whose channel or pattern is revoked: it is
           in CLIENT LIST before and gone right after ACL SETUSER
"""
import socket
import subprocess
import sys
import time


def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port)] + list(args), capture_output=True,
                          text=True, check=True).stdout


def run_exec(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(cmd("AUTH", "w", "x") + cmd("MULTI") + cmd("SET", "k", "1") + cmd("GET", "k") +
              cmd("PUBLISH", "c", "m") + cmd("SET", "q", "2"))
    time.sleep(0.3)
    cli(port, "acl", "setuser", "w", "-get", "resetchannels", "~k")
    s.sendall(cmd("EXEC"))
    data, deadline = b"", time.time() + 10
    while data.count(b"\r\n") < 11 and time.time() < deadline:
        data += s.recv(65536)
    return data.decode()


def run_revoked(port):
    seen = []
    for sub, grant in (("SUBSCRIBE", "&foo:1"), ("PSUBSCRIBE", "&bar:*")):
        cli(port, "acl", "setuser", "ps", "on", ">pw", "+@all", "resetchannels", grant)
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(cmd("AUTH", "ps", "pw") + cmd("CLIENT", "SETNAME", "deathrow") +
                  cmd(sub, grant[1:]))
        time.sleep(0.3)
        s.recv(65536)
        before = "deathrow" in cli(port, "client", "list")
        cli(port, "acl", "setuser", "ps", "resetchannels", "&other")
        after = "deathrow" in cli(port, "client", "list")
        seen.append((sub, before, after))
        s.close()
    return seen


def main():
    mode, ours, theirs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    run = {"exec": run_exec, "revoked": run_revoked}[mode]
    a, b = run(ours), run(theirs)
    expected = mode != "revoked" or all(before and not after for _, before, after in a)
    print("same" if a == b and expected else "differ:\n--- flatline\n%s\n--- redis\n%s" % (a, b))


main()
