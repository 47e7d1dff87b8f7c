"""End-to-end: /storage — buckets, objects, path tricks, rescue reads, the error journal."""
import json
import os
import shutil
import unittest

import lh

CONFIG = """
[server]
max_upload_bytes = 1048576

[storage]
rescue_bucket = "rescue"
journal_flush_interval_ms = 0

[buckets.rescue]
root = "{tmp}/rescue"

[buckets.client_a]
root = "{tmp}/client_a"

[buckets.eu]
backend = "s3"
endpoint = "http://127.0.0.1:9"
bucket = "acme-eu"
region = "eu-central-1"
addressing = "path"
"""

OBJ = "/storage/buckets/{}/objects/{}"


class StorageTest(unittest.TestCase):
    def setUp(self):
        self.srv = lh.Server()
        with open(os.path.join(self.srv.tmp, "lakehouse.toml"), "w") as f:
            f.write(CONFIG.format(tmp=self.srv.tmp))
        self.srv.config_path = os.path.join(self.srv.tmp, "lakehouse.toml")
        self.srv.start()
        # a file beside the bucket roots that no request may ever touch
        self.sentinel = os.path.join(self.srv.tmp, "sentinel.txt")
        with open(self.sentinel, "w") as f:
            f.write("keep me")

    def tearDown(self):
        self.srv.cleanup()

    def put(self, bucket, key, data, headers=None):
        return self.srv.request("PUT", OBJ.format(bucket, key), body=data, headers=headers)

    def get(self, bucket, key, headers=None):
        return self.srv.get(OBJ.format(bucket, key), headers=headers)

    def test_bucket_listing(self):
        r = self.srv.get("/storage/buckets")
        self.assertEqual(r.status, 200)
        b = {x["name"]: x for x in r.json()["buckets"]}
        self.assertEqual(set(b), {"primary", "rescue", "client_a", "eu"})
        self.assertTrue(b["primary"]["primary"])
        self.assertTrue(b["rescue"]["rescue"])
        self.assertEqual(b["eu"]["backend"], "s3")
        self.assertEqual(b["primary"]["location"], self.srv.data_dir)

    def test_put_get_head_delete_roundtrip(self):
        data = os.urandom(3 * 1024 * 1024 // 4)
        r = self.put("primary", "people/2026/export.bin", data)
        self.assertEqual(r.status, 201, r)
        put = r.json()
        self.assertEqual(put["size"], len(data))
        r = self.get("primary", "people/2026/export.bin")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, data)
        self.assertEqual(r.header("ETag"), put["etag"])
        self.assertIsNone(r.header("X-Lakehouse-Rescue-Used"))
        r = self.srv.request("HEAD", OBJ.format("primary", "people/2026/export.bin"))
        self.assertEqual(r.status, 200)
        self.assertEqual(int(r.header("Content-Length")), len(data))
        self.assertEqual(r.header("ETag"), put["etag"])
        self.assertIsNotNone(r.header("Last-Modified"))
        # overwrite is atomic and visible
        self.assertEqual(self.put("primary", "people/2026/export.bin", b"v2").status, 201)
        self.assertEqual(self.get("primary", "people/2026/export.bin").body, b"v2")
        r = self.srv.request("DELETE", OBJ.format("primary", "people/2026/export.bin"))
        self.assertEqual(r.status, 204)
        r = self.get("primary", "people/2026/export.bin")
        self.assertEqual(r.status, 404)
        self.assertEqual(lh.error_code(r), "object_not_found")
        r = self.srv.request("DELETE", OBJ.format("primary", "people/2026/export.bin"))
        self.assertEqual(r.status, 404)

    def test_empty_object(self):
        self.assertEqual(self.put("primary", "empty", b"").status, 201)
        r = self.get("primary", "empty")
        self.assertEqual((r.status, r.body), (200, b""))

    def test_ranges(self):
        self.put("primary", "r.txt", b"0123456789abcdef")
        cases = {"bytes=0-3": (206, b"0123", "bytes 0-3/16"), "bytes=10-": (206, b"abcdef", "bytes 10-15/16"),
                 "bytes=-4": (206, b"cdef", "bytes 12-15/16"), "bytes=14-100": (206, b"ef", "bytes 14-15/16")}
        for rng, (status, body, cr) in cases.items():
            r = self.get("primary", "r.txt", headers={"Range": rng})
            self.assertEqual((r.status, r.body, r.header("Content-Range")), (status, body, cr), rng)
        r = self.get("primary", "r.txt", headers={"Range": "bytes=16-"})
        self.assertEqual(r.status, 416)
        self.assertEqual(r.header("Content-Range"), "bytes */16")
        for bad in ("items=0-1", "bytes=5-2", "bytes=0-1,3-4", "bytes=x-"):
            r = self.get("primary", "r.txt", headers={"Range": bad})
            self.assertEqual(r.status, 400, bad)
            self.assertEqual(lh.error_code(r), "invalid_range")

    def test_create_only(self):
        h = {"If-None-Match": "*"}
        self.assertEqual(self.put("primary", "_catalog/x/v1", b"first", h).status, 201)
        r = self.put("primary", "_catalog/x/v1", b"second", h)
        self.assertEqual(r.status, 412)
        self.assertEqual(lh.error_code(r), "object_exists")
        self.assertEqual(self.get("primary", "_catalog/x/v1").body, b"first")
        r = self.put("primary", "k", b"x", {"If-None-Match": '"etag"'})
        self.assertEqual(r.status, 400)

    def test_listing_prefix_delimiter_pagination(self):
        keys = ["a/1", "a/2", "a/b/3", "a/b/4", "c", "d/e/f"]
        for k in keys:
            self.assertEqual(self.put("client_a", k, k.encode()).status, 201)
        r = self.srv.get("/storage/buckets/client_a/objects?prefix=a/&delimiter=/")
        self.assertEqual(r.status, 200)
        j = r.json()
        self.assertEqual([o["key"] for o in j["objects"]], ["a/1", "a/2"])
        self.assertEqual(j["common_prefixes"], ["a/b/"])
        self.assertFalse(j["truncated"])
        r = self.srv.get("/storage/buckets/client_a/objects?delimiter=/")
        self.assertEqual(r.json()["common_prefixes"], ["a/", "d/"])
        self.assertEqual([o["key"] for o in r.json()["objects"]], ["c"])
        for page in (1, 2, 4):
            seen, cursor = [], None
            for _ in range(20):
                q = f"/storage/buckets/client_a/objects?max_keys={page}" + (f"&cursor={cursor}" if cursor else "")
                j = self.srv.get(q).json()
                seen += [o["key"] for o in j["objects"]]
                cursor = j["next_cursor"]
                if not cursor:
                    break
            self.assertEqual(seen, keys, page)
        for bad in ("max_keys=0", "max_keys=1001", "max_keys=ten"):
            r = self.srv.get("/storage/buckets/client_a/objects?" + bad)
            self.assertEqual(r.status, 400, bad)

    def test_path_tricks_are_refused(self):
        tricks = ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/sentinel.txt", "a/../../sentinel.txt",
                  "a/./b", "a//b", "%2Fetc%2Fpasswd", "/etc/passwd", "a%00b", "a%01b", "a\\..\\b", "a/", "..",
                  ".lakehouse/tmp/x", "x%0ay"]
        for key in tricks:
            for method in ("GET", "PUT", "HEAD", "DELETE"):
                r = self.srv.request(method, OBJ.format("primary", key), body=b"evil" if method == "PUT" else None)
                self.assertEqual(r.status, 400, f"{method} {key}: {r}")
                if method != "HEAD":
                    self.assertIn(lh.error_code(r), ("invalid_key", "reserved_key"), key)
        r = self.put("primary", "x" * 1100, b"long")
        self.assertEqual(r.status, 400)
        with open(self.sentinel) as f:
            self.assertEqual(f.read(), "keep me")
        self.assertEqual(sorted(os.listdir(self.srv.tmp)),
                         sorted(["client_a", "data", "lakehouse.toml", "rescue", "sentinel.txt", "server.log"]))

    def test_unicode_and_spaces_are_fine(self):
        key = "résumés/Zoë Smith (2026).txt"
        from urllib.parse import quote
        self.assertEqual(self.put("primary", quote(key), b"cv").status, 201)
        self.assertEqual(self.get("primary", quote(key)).body, b"cv")
        j = self.srv.get("/storage/buckets/primary/objects?prefix=" + quote("résumés/")).json()
        self.assertEqual([o["key"] for o in j["objects"]], [key])

    def test_unknown_bucket(self):
        for method in ("GET", "PUT", "DELETE"):
            r = self.srv.request(method, OBJ.format("nope", "k"), body=b"x" if method == "PUT" else None)
            self.assertEqual(r.status, 404, method)
            self.assertEqual(lh.error_code(r), "bucket_not_found")
        r = self.srv.get("/storage/buckets/nope/objects")
        self.assertEqual((r.status, lh.error_code(r)), (404, "bucket_not_found"))

    def test_upload_limit_stores_nothing(self):
        r = self.put("primary", "big.bin", b"z" * (1048576 + 1))
        self.assertEqual(r.status, 413)
        self.assertEqual(lh.error_code(r), "body_too_large")
        self.assertEqual(self.srv.request("HEAD", OBJ.format("primary", "big.bin")).status, 404)
        # chunked: the limit is found mid-stream; the partial object is discarded
        chunk = b"y" * 300000
        req = (b"PUT " + OBJ.format("primary", "chunked.bin").encode() +
               b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
               (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 4 + b"0\r\n\r\n")
        raw = self.srv.raw(req)
        self.assertTrue(raw.startswith(b"HTTP/1.1 413"), raw[:100])
        self.assertEqual(self.srv.request("HEAD", OBJ.format("primary", "chunked.bin")).status, 404)
        tmpdir = os.path.join(self.srv.data_dir, ".lakehouse", "tmp")
        self.assertEqual(os.listdir(tmpdir) if os.path.isdir(tmpdir) else [], [])

    def test_refused_upload_is_not_drained_forever(self):
        # An upload refused at its start (unknown bucket) is read and thrown
        # away for a while so a plain client can read the answer, then the
        # server hangs up instead of swallowing the whole body.
        import socket
        srv = lh.Server().start()  # default limits: 5 GiB uploads
        self.addCleanup(srv.cleanup)
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(b"PUT " + OBJ.format("nope", "big.bin").encode() +
                  b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n" % (1 << 20) + b"z" * (1 << 20) + b"\r\n"
        sent = 0
        try:
            for _ in range(200):  # 200 MiB offered
                s.sendall(chunk)
                sent += 1
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            s.close()
        self.assertLess(sent, 200, "the server read a 200 MiB body for a request it had refused")
        self.assertEqual(srv.get("/health").status, 200)

    def test_s3_bucket_is_reported_unavailable(self):
        r = self.get("eu", "k")
        self.assertEqual(r.status, 503)
        self.assertEqual(lh.error_code(r), "bucket_unavailable")
        h = self.srv.get("/health").json()
        self.assertEqual(h["status"], "degraded")
        hb = {b["name"]: b for b in self.srv.get("/storage/bucket-health").json()["buckets"]}
        self.assertFalse(hb["eu"]["reachable"])
        self.assertTrue(hb["primary"]["reachable"])

    def test_rescue_fallback_and_error_journal(self):
        self.assertEqual(self.put("primary", "shared/doc.txt", b"primary copy").status, 201)
        self.assertEqual(self.put("rescue", "shared/doc.txt", b"rescue copy").status, 201)
        self.assertEqual(self.put("rescue", "only-in-rescue.txt", b"r").status, 201)
        # not found on a healthy bucket is an answer, not a failure: no rescue
        r = self.get("primary", "only-in-rescue.txt")
        self.assertEqual(r.status, 404)
        self.assertIsNone(r.header("X-Lakehouse-Rescue-Used"))

        gone = self.srv.data_dir + ".gone"
        os.rename(self.srv.data_dir, gone)  # the primary bucket becomes unreachable
        try:
            r = self.get("primary", "shared/doc.txt")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body, b"rescue copy")
            self.assertEqual(r.header("X-Lakehouse-Rescue-Used"), "true")
            r = self.srv.request("HEAD", OBJ.format("primary", "shared/doc.txt"))
            self.assertEqual((r.status, r.header("X-Lakehouse-Rescue-Used")), (200, "true"))
            r = self.srv.get("/storage/buckets/primary/objects?prefix=shared/")
            self.assertEqual(r.header("X-Lakehouse-Rescue-Used"), "true")
            self.assertEqual([o["key"] for o in r.json()["objects"]], ["shared/doc.txt"])
            # writes never fall back
            r = self.put("primary", "new.txt", b"must not land anywhere")
            self.assertEqual(r.status, 503)
            self.assertEqual(lh.error_code(r), "bucket_unavailable")
            self.assertIn("primary", r.json()["error"]["message"])
            self.assertEqual(self.get("rescue", "new.txt").status, 404)
            self.assertFalse(os.path.exists(self.srv.data_dir), "the vanished root must not be recreated")
            # health says so
            h = self.srv.get("/health")
            self.assertEqual(h.status, 503)
            self.assertEqual(h.json()["status"], "down")
            hb = {b["name"]: b for b in self.srv.get("/storage/bucket-health").json()["buckets"]}
            self.assertFalse(hb["primary"]["reachable"])
            self.assertIn("primary", hb["primary"]["last_error"]["message"])
            # every failure is visible in one call
            ev = self.srv.get("/storage/errors?bucket=primary").json()["events"]
            ops = {e["op"] for e in ev}
            self.assertTrue({"get", "head", "list", "put"} <= ops, ops)
            self.assertTrue(all(e["code"] == "bucket_unavailable" for e in ev))
            self.assertTrue(any(e["key"] == "new.txt" and e["op"] == "put" for e in ev))
            # the journal lives in the primary: it cannot flush now, and keeps the events
            r = self.srv.request("POST", "/storage/errors/flush")
            self.assertEqual(r.status, 503)
            self.assertGreater(self.srv.get("/storage/errors").json()["stats"]["buffered"], 0)
        finally:
            os.rename(gone, self.srv.data_dir)
        r = self.srv.request("POST", "/storage/errors/flush")
        self.assertEqual(r.status, 200, r)
        self.assertGreater(r.json()["flushed_events"], 0)
        j = self.srv.get("/storage/buckets/primary/objects?prefix=_errors/bucket_errors/").json()
        self.assertEqual(len(j["objects"]), 1)
        self.assertRegex(j["objects"][0]["key"], r"^_errors/bucket_errors/batch_\d{16}\.jsonl$")
        body = self.get("primary", j["objects"][0]["key"]).body.decode()
        events = [json.loads(l) for l in body.splitlines()]
        self.assertTrue(any(e["bucket"] == "primary" and e["op"] == "put" and e["key"] == "new.txt" for e in events))
        for e in events:
            self.assertEqual(set(e), {"ts", "ts_us", "bucket", "op", "key", "status", "code", "error"})
        self.assertEqual(self.srv.get("/health").json()["status"], "degraded")  # only eu is down now

    def test_error_journal_compaction(self):
        root = os.path.join(self.srv.tmp, "client_a")
        for i in range(3):
            os.rename(root, root + ".off")
            self.assertEqual(self.get("client_a", f"k{i}").status, 503)
            os.rename(root + ".off", root)
            self.assertEqual(self.srv.request("POST", "/storage/errors/flush").status, 200)
        batches = self.srv.get("/storage/buckets/primary/objects?prefix=_errors/bucket_errors/").json()["objects"]
        self.assertEqual(len(batches), 3)
        before = [e["key"] for e in self.srv.get("/storage/errors?source=all&bucket=client_a").json()["events"]]
        self.assertEqual(before, ["k0", "k1", "k2"])
        r = self.srv.request("POST", "/storage/errors/compact")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["batches_merged"], 3)
        after = self.srv.get("/storage/buckets/primary/objects?prefix=_errors/bucket_errors/").json()["objects"]
        self.assertEqual(len(after), 1)
        self.assertEqual([e["key"] for e in self.srv.get("/storage/errors?source=all&bucket=client_a").json()["events"]],
                         before)
        self.assertEqual(self.srv.get("/storage/errors?source=bogus").status, 400)


if __name__ == "__main__":
    lh.main()
