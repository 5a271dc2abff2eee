"""tests/server/resp_conn.py: a minimal RESP2 client for the Python integration tests, which
send binary payloads and compare raw replies (no client library needed on a fresh machine).

Conn(port)(*args) sends one command and returns its reply: "+status" / "-error" strings, int,
bytes (None for a nil bulk), or a list. Conn.many(commands) pipelines a list of commands (each
a tuple of arguments) and returns their replies in order.
"""
import socket


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

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
            while len(self.buf) < n + 2:
                chunk = self.s.recv(65536)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                self.buf += chunk
            data, self.buf = self.buf[:n], self.buf[n + 2:]
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
