"""End-to-end: the HTTP gateway — health, metrics, errors, limits, shutdown."""
import ctypes
import http.client
import json
import os
import re
import signal
import threading
import time
import unittest

import lh


class GatewayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = lh.Server(config="[server]\nmax_body_bytes = 4096\nmax_upload_bytes = 65536\n").start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_health(self):
        r = self.srv.get("/health")
        self.assertEqual(r.status, 200)
        h = r.json()
        self.assertEqual(h["status"], "ok")
        self.assertEqual(h["duckdb"], "v1.4.4")
        self.assertRegex(h["version"], r"^\d+\.\d+\.\d+$")
        self.assertGreaterEqual(h["uptime_s"], 0)
        self.assertEqual([(b["name"], b["reachable"]) for b in h["buckets"]], [("primary", True)])

    def test_request_id_on_every_response(self):
        for method, path in (("GET", "/health"), ("GET", "/nope"), ("DELETE", "/health"),
                             ("GET", "/storage/buckets/none/objects/x")):
            r = self.srv.request(method, path)
            self.assertRegex(r.header("X-Request-Id") or "", r"^[0-9a-f]{16}$", (method, path))
        r = self.srv.get("/health", headers={"X-Request-Id": "client-id-42"})
        self.assertEqual(r.header("X-Request-Id"), "client-id-42")
        r = self.srv.get("/health", headers={"X-Request-Id": "bad id with spaces"})
        self.assertRegex(r.header("X-Request-Id"), r"^[0-9a-f]{16}$")

    def test_unknown_route_and_method(self):
        r = self.srv.get("/no/such/route")
        self.assertEqual(r.status, 404)
        self.assertEqual(lh.error_code(r), "route_not_found")
        self.assertIn("/no/such/route", r.json()["error"]["message"])
        r = self.srv.request("POST", "/health")
        self.assertEqual(r.status, 405)
        self.assertEqual(lh.error_code(r), "method_not_allowed")
        self.assertIn("GET", r.header("Allow"))

    def test_body_limit_declared_with_expect(self):
        # A client that waits for 100-continue is refused before it sends the body.
        raw = self.srv.raw(b"POST /storage/errors/flush HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                           b"Expect: 100-continue\r\n\r\n")
        self.assertTrue(raw.startswith(b"HTTP/1.1 413"), raw[:200])
        body = raw.split(b"\r\n\r\n", 1)[1]
        self.assertIn(b'"body_too_large"', body)
        self.assertIn(b"X-Request-Id", raw)

    def test_body_limit_declared_plain_client(self):
        # A client that writes the whole body first still gets to read the 413.
        r = self.srv.request("POST", "/storage/errors/flush", body=b"{" + b" " * 100000 + b"}")
        self.assertEqual(r.status, 413)
        self.assertEqual(lh.error_code(r), "body_too_large")
        self.assertIn("max_body_bytes", r.json()["error"]["message"])

    def test_body_limit_chunked(self):
        # Without a declared length the limit is enforced while reading.
        chunk = b"x" * 3000
        req = (b"POST /storage/errors/flush HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
               (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 2 + b"0\r\n\r\n")
        raw = self.srv.raw(req)
        self.assertTrue(raw.startswith(b"HTTP/1.1 413"), raw[:200])

    def test_body_within_limit_is_accepted(self):
        r = self.srv.request("POST", "/storage/errors/flush", body=b"{}")
        self.assertEqual(r.status, 200, r)

    def test_metrics(self):
        self.srv.get("/health")
        self.srv.get("/definitely/missing")
        # A request is counted when the server finishes it, which can be a
        # moment after the client has read its response: poll briefly.
        for _ in range(50):
            r = self.srv.get("/metrics")
            text = r.body.decode()
            if 'route="unmatched",method="GET",status="404"' in text:
                break
            time.sleep(0.05)
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/plain"))
        m = re.search(r'lakehouse_http_requests_total\{route="/health",method="GET",status="200"\} (\d+)', text)
        self.assertIsNotNone(m, text)
        self.assertGreaterEqual(int(m.group(1)), 1)
        self.assertRegex(text, r'lakehouse_http_requests_total\{route="unmatched",method="GET",status="404"\} \d+')
        self.assertRegex(text, r'lakehouse_http_request_duration_seconds_bucket\{route="/health",le="\+Inf"\} \d+')
        self.assertRegex(text, r'lakehouse_http_request_duration_seconds_count\{route="/health"\} \d+')
        # this very request is in flight while the text is rendered
        self.assertRegex(text, r"lakehouse_http_requests_in_flight [1-9]")

    def test_concurrent_requests(self):
        results = []

        def worker():
            for _ in range(20):
                results.append(self.srv.get("/health").status)

        ts = [threading.Thread(target=worker) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(results, [200] * 160)


class ShutdownTest(unittest.TestCase):
    def test_sigterm_drains_in_flight_upload(self):
        srv = lh.Server().start()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
            body = b"a" * 200000
            conn.putrequest("PUT", "/storage/buckets/primary/objects/drain/test.bin")
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders()
            conn.send(body[:1000])
            time.sleep(0.3)          # the request is now in flight
            srv.proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            conn.send(body[1000:])   # it may still finish
            r = conn.getresponse()
            self.assertEqual(r.status, 201, r.read())
            conn.close()
            rc = srv.proc.wait(timeout=30)
            self.assertEqual(rc, 0)
            with open(os.path.join(srv.data_dir, "drain/test.bin"), "rb") as f:
                self.assertEqual(f.read(), body)
            log = srv.read_log()
            self.assertIn("SIGTERM", log)
            self.assertIn("stopped", log)
        finally:
            srv.cleanup()

    def test_sigint_stops_cleanly(self):
        srv = lh.Server().start()
        try:
            self.assertEqual(srv.get("/health").status, 200)
            self.assertEqual(srv.stop(signal.SIGINT), 0)
        finally:
            srv.cleanup()

    def test_signal_to_any_thread_stops_cleanly(self):
        # A library may start threads before main blocks the signals
        # (OpenBLAS does, as it loads): a SIGINT the kernel hands to one of
        # them must still end in a clean shutdown, not a killed process.
        tgkill = {"x86_64": 234, "aarch64": 131}.get(os.uname().machine)
        if tgkill is None:
            self.skipTest(f"tgkill's syscall number is not known here ({os.uname().machine})")
        libc = ctypes.CDLL(None, use_errno=True)
        srv = lh.Server().start()
        try:
            self.assertEqual(srv.get("/health").status, 200)
            pid = srv.proc.pid
            open_threads = []
            for tid in sorted(int(t) for t in os.listdir(f"/proc/{pid}/task")):
                with open(f"/proc/{pid}/task/{tid}/status") as f:
                    blocked = int(re.search(r"^SigBlk:\s*([0-9a-f]+)", f.read(), re.M).group(1), 16)
                if tid != pid and not blocked & (1 << (signal.SIGINT - 1)):
                    open_threads.append(tid)
            if not open_threads:
                self.skipTest("every thread but the main one blocks SIGINT here: nothing to test")
            self.assertEqual(libc.syscall(tgkill, pid, open_threads[0], signal.SIGINT), 0)
            srv.proc.wait(timeout=30)
            self.assertEqual(srv.stop(), 0)
            self.assertIn("received SIGINT", srv.read_log())
        finally:
            srv.cleanup()

    def test_port_in_use_is_a_clear_error(self):
        with lh.Server() as a:
            r = lh.run_cli("serve", "--port", str(a.port), "--data-dir", os.path.join(a.tmp, "d2"))
            self.assertEqual(r.returncode, 1)
            self.assertIn("cannot listen", r.stderr)


if __name__ == "__main__":
    lh.main()
