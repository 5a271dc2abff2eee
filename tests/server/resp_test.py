"""tests/server/resp_test.py: what the Python integration tests share: a minimal RESP2
client (they send binary payloads and compare raw replies; no client library needed on a fresh
machine) and a tally of checks.

Conn(port)(*args) sends one command and returns its reply: "+status" / "-error" strings, int,
bytes (None for a nil bulk), or a list. Conn.many(commands) pipelines a list of commands (each
a tuple of arguments) and returns their replies in order.

Tally.check(what, got, want) counts a check and keeps a failure; Tally.report() prints the
failures and "N passed, N failed" and returns the exit status.
"""
import socket


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = bytearray()
        self.pos = 0  # replies are parsed from here; what is before it is consumed

    def _fill(self):
        if self.pos > 65536 and self.pos * 2 > len(self.buf):
            del self.buf[:self.pos]  # keep the buffer short: no copy of it per reply
            self.pos = 0
        chunk = self.s.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def _line(self):
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                line, self.pos = bytes(self.buf[self.pos:end]), end + 2
                return line
            self._fill()

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-"):
            return (kind + rest).decode()
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < self.pos + n + 2:
                self._fill()
            data, self.pos = bytes(self.buf[self.pos:self.pos + n]), self.pos + n + 2
            return data
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise ValueError(line)

    @staticmethod
    def _encode(args):
        args = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)

    def __call__(self, *args):
        self.s.sendall(self._encode(args))
        return self._reply()

    def many(self, commands):
        self.s.sendall(b"".join(self._encode(c) for c in commands))
        return [self._reply() for _ in commands]


class Tally:
    def __init__(self, got="got", want="expected", shown=40):
        self.checks, self.fails = 0, []
        self.got, self.want, self.shown = got, want, shown

    def check(self, what, got, want):
        self.checks += 1
        if got != want:
            self.fails.append("FAIL: %s: %s %s, %s %s" % (what, self.got, short(got), self.want,
                                                          short(want)))

    def report(self):
        for f in self.fails[:self.shown]:
            print(f)
        print("%d passed, %d failed" % (self.checks - len(self.fails), len(self.fails)))
        return 1 if self.fails else 0


def short(v):
    r = repr(v)
    return r if len(r) < 300 else r[:300] + "..."
