"""End-to-end: S3 buckets whose endpoint is dead when the server starts.

Needs no S3 server. Two kinds of dead: a closed loopback port (connection
refused at once) and a port that accepts connections and never answers
(the slow kind: every request runs into its timeout). Each S3 bucket probes
conditional create when it opens; that probe, and the per-bucket probe of
GET /health, get one short attempt, so neither waits out the retry budget
(30 s stall timeout, 20 s budget by default). The server must start within
a few seconds, report both buckets unreachable with a message naming the
bucket and endpoint, and answer writes to them with a clear 503 that
creates nothing.
"""
import os
import shutil
import socket
import tempfile
import time
import unittest

import lh

PEOPLE = b"id,name\n1,Ana\n2,Bo\n"


class DeadEndpoint(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # a port that was free a moment ago and is closed now
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        cls.closed_port = s.getsockname()[1]
        s.close()
        # a port that accepts (the kernel completes the handshake) and never answers
        cls.silent = socket.socket()
        cls.silent.bind(("127.0.0.1", 0))
        cls.silent.listen(64)
        cls.silent_port = cls.silent.getsockname()[1]
        cls.tmp = tempfile.mkdtemp(prefix="lh-dead-s3-")
        cls.secrets = os.path.join(cls.tmp, "secrets.toml")
        with open(cls.secrets, "w") as f:
            f.write('[k]\naccess_key_id = "AKIDEXAMPLE"\nsecret_access_key = "not-a-real-secret"\n')
        os.chmod(cls.secrets, 0o600)

    @classmethod
    def tearDownClass(cls):
        cls.silent.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def config(self):
        return (f'[storage]\nsecrets_file = "{self.secrets}"\n'
                # closed port: small retry settings keep the write test short
                f'[buckets.dead]\nbackend = "s3"\nendpoint = "http://127.0.0.1:{self.closed_port}"\n'
                f'bucket = "b"\naddressing = "path"\nsecret_ref = "k"\nmax_retries = 2\nretry_budget_ms = 1000\n'
                # silent port: the default timeouts (30 s), which the probes must not wait for
                f'[buckets.silent]\nbackend = "s3"\nendpoint = "http://127.0.0.1:{self.silent_port}"\n'
                f'bucket = "b"\naddressing = "path"\nsecret_ref = "k"\n')

    def test_server_starts_reports_and_refuses_writes(self):
        srv = lh.Server(config=self.config())
        t0 = time.monotonic()
        srv.start(timeout=60)
        self.addCleanup(srv.cleanup)
        started = time.monotonic() - t0
        t1 = time.monotonic()
        r = srv.get("/health", timeout=60)
        health_s = time.monotonic() - t1
        # Before the fix: about 30 s each (the silent endpoint's stall timeout).
        # Now: one probe attempt of at most 2 s per dead bucket.
        self.assertLess(started, 10, f"start-up took {started:.1f} s")
        self.assertLess(health_s, 10, f"GET /health took {health_s:.1f} s")
        self.assertEqual(r.status, 200, r)  # the primary (local) is fine
        h = r.json()
        self.assertEqual(h["status"], "degraded")
        by = {b["name"]: b for b in h["buckets"]}
        self.assertTrue(by["primary"]["reachable"])
        for name, port in (("dead", self.closed_port), ("silent", self.silent_port)):
            self.assertFalse(by[name]["reachable"], by[name])
            msg = by[name]["error"]
            self.assertIn(f'bucket "{name}" is unavailable', msg)
            self.assertIn(f"127.0.0.1:{port}", msg)
            self.assertIn("1 attempt", msg)
        bh = srv.get("/storage/bucket-health", timeout=60).json()
        codes = {b["name"]: b.get("code") for b in bh["buckets"]}
        self.assertEqual(codes["dead"], "bucket_unavailable")
        self.assertIn(codes["silent"], ("s3_timeout", "bucket_unavailable"))
        # the start-up probe said it could not check, and will check later
        self.assertIn("will check on first commit", srv.read_log())

        # writes: a clear 503 naming the bucket, nothing created
        r = srv.request("PUT", "/storage/buckets/dead/objects/docs/a.txt", body=b"x")
        self.assertEqual(r.status, 503, r)
        self.assertEqual(lh.error_code(r), "bucket_unavailable")
        self.assertIn('bucket "dead" is unavailable', r.json()["error"]["message"])
        r = srv.request("POST", "/ingest/file?dataset=eu_people&format=csv&bucket=dead", body=PEOPLE)
        self.assertEqual(r.status, 503, r)
        self.assertIn('"dead"', r.json()["error"]["message"])
        self.assertEqual(srv.get("/catalog/datasets/eu_people").status, 404)
        # the primary still works
        r = srv.request("POST", "/ingest/file?dataset=people&format=csv", body=PEOPLE)
        self.assertEqual(r.status, 201, r)
        r = srv.request("POST", "/query/sql", body={"sql": "SELECT count(*) FROM people"})
        self.assertEqual(r.json()["rows"], [[2]])
        # and it stops promptly (nothing waits on the dead endpoints)
        t2 = time.monotonic()
        self.assertEqual(srv.stop(), 0)
        self.assertLess(time.monotonic() - t2, 10)


if __name__ == "__main__":
    lh.main()
