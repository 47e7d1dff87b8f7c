#!/usr/bin/env python3
"""tests/tools/flaky_s3.py — an S3 look-alike that fails on purpose, for
testing the client's retry rules (a real server cannot be told to answer
503 twice and then succeed). Prints its port, serves until killed.

Keys (path /BUCKET/KEY) choose the behaviour:
  flaky*    503 SlowDown, then 429, then success (PUT: ETag "attempt-N")
  fail503*  always 503 SlowDown
  bad400*   always 400 InvalidArgument
  reset*    closes the connection without answering
  count/K   HEAD answers 200 with Content-Length = requests seen for K
Signatures are not checked.
"""
import http.server
import socketserver
import sys
import threading

seen = {}
lock = threading.Lock()

ERR = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{msg}</Message>'
       '<RequestId>req-{n}</RequestId></Error>')


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def key(self):
        parts = self.path.split("?")[0].lstrip("/").split("/", 1)
        return parts[1] if len(parts) > 1 else ""

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        k = self.key()
        if k.startswith("count/"):
            with lock:
                c = seen.get(k[6:], 0)
            self.send_response(200)
            self.send_header("Content-Length", str(c))
            self.send_header("ETag", '"count"')
            self.end_headers()
            return
        with lock:
            seen[k] = seen.get(k, 0) + 1
            c = seen[k]
        if k.startswith("reset"):
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if k.startswith("bad400"):
            return self.reply(400, ERR.format(code="InvalidArgument", msg="no", n=c).encode())
        if k.startswith("fail503") or (k.startswith("flaky") and c == 1):
            return self.reply(503, ERR.format(code="SlowDown", msg="slow down", n=c).encode())
        if k.startswith("flaky") and c == 2:
            return self.reply(429, ERR.format(code="TooManyRequests", msg="", n=c).encode())
        body = b"ok" if self.command == "GET" else b""
        self.reply(200, body, [("ETag", f'"attempt-{c}"')])

    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = handle_any


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = S(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
