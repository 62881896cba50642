"""A loopback HTTP/1.1 upstream that serves the recorded fixtures in every framing, for the tests
of the embeddings (nginx module, Lua binding). Stdlib only.

    python3 fixture_upstream.py FIXTURES_DIR PORT_FILE

Listens on 127.0.0.1 at a free port, writes the port to PORT_FILE, and serves until killed:

    GET /length/NAME    the file with Content-Length
    GET /chunked/NAME   chunked, in chunks of 1 to 997 bytes (sizes that move through the file)
    GET /gzip/NAME      gzip-compressed (mtime 0, so always the same bytes), chunked, with
                        Content-Encoding: gzip
    GET /slow/NAME      chunked: the first half, then nothing for 60 s (a client goes away)
    GET /break/NAME     chunked: the first half, then the connection closes (an upstream that
                        breaks off mid-stream)

NAME is the fixture's file name (NAME.sse); any path prefix before /length etc. is ignored, so that
a request path can also name an API (/v1/chat/completions/length/NAME).
"""
import gzip
import http.server
import os
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *arguments):
        pass

    def do_GET(self):
        try:
            self.serve()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client (or the proxy in front) went away: nothing to say

    def serve(self):
        parts = self.path.split("?")[0].split("/")
        if len(parts) < 3 or parts[-2] not in ("length", "chunked", "gzip", "slow", "break"):
            self.send_error(404)
            return
        framing, name = parts[-2], parts[-1]
        path = os.path.join(self.server.folder, os.path.basename(name))
        if not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as file:
            body = file.read()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        if framing == "length":
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if framing == "gzip":
            body = gzip.compress(body, mtime=0)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if framing in ("slow", "break"):
            self.chunk(body[: len(body) // 2])
            self.wfile.flush()
            if framing == "slow":
                time.sleep(60)
            self.close_connection = True
            return
        at, size = 0, 1
        while at < len(body):
            self.chunk(body[at:at + size])
            at += size
            size = size * 7 % 997 + 1
        self.wfile.write(b"0\r\n\r\n")

    def chunk(self, piece):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))


def main(folder, port_file):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.folder = folder
    with open(port_file + ".tmp", "w") as file:
        file.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
