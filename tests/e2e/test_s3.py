"""End-to-end on a real S3 server (Ceph RGW on loopback).

RGW is started once for this file with tests/tools/rgw.sh and stopped by PID
at the end, also when a test fails. Skips (77) with a plain message when RGW
or Debian's awscli (/usr/bin/aws, the cross-check client) is not installed;
tests/tools/setup-test-deps.sh installs both.

Covers: the core-loop tests rerun unchanged with the primary bucket on S3;
a restarted server with an empty cache rebuilding its catalog from the
bucket; objects the lakehouse writes read back byte-identical by `aws
s3api`, and objects `aws` uploads (multipart) read and ingested by the
lakehouse; a wrong secret and a missing bucket giving clear errors; RGW
stopped mid-run (writes 503, reads from the rescue bucket, errors listed);
the read cache's statistics.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import lh

RGW = os.path.join(lh.SOURCE_DIR, "tests/tools/rgw.sh")
PEOPLE = "id,name,city\n1,Ana,Chicago\n2,Bo,Denver\n3,Wei,Chicago\n"


def start_rgw():
    d = tempfile.mkdtemp(prefix="lh-rgw-")
    os.rmdir(d)
    out = subprocess.run([RGW, "start", d], capture_output=True, text=True, timeout=180)
    if out.returncode != 0:
        raise RuntimeError("RGW did not start: " + out.stderr)
    env = {}
    for part in out.stdout.replace("export ", "").split():
        k, _, v = part.partition("=")
        env[k] = v.strip("'")
    return env


class S3(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rgw = start_rgw()
        lh.S3_PRIMARY[:] = [cls.rgw["S3_ENDPOINT"], cls.rgw["S3_ACCESS_KEY"], cls.rgw["S3_SECRET_KEY"]]
        cls.tmp = tempfile.mkdtemp(prefix="lh-s3-e2e-")
        cls.secrets = os.path.join(cls.tmp, "secrets.toml")
        with open(cls.secrets, "w") as f:
            f.write(f'[ci]\naccess_key_id = "{cls.rgw["S3_ACCESS_KEY"]}"\n'
                    f'secret_access_key = "{cls.rgw["S3_SECRET_KEY"]}"\n'
                    f'[wrong]\naccess_key_id = "{cls.rgw["S3_ACCESS_KEY"]}"\nsecret_access_key = "not-it"\n')
        os.chmod(cls.secrets, 0o600)
        lh.aws("s3api", "create-bucket", "--bucket", "lake-primary")
        lh.aws("s3api", "create-bucket", "--bucket", "lake-tenant")

    @classmethod
    def tearDownClass(cls):
        lh.S3_PRIMARY[:] = []
        subprocess.run([RGW, "stop", cls.rgw["RGW_DIR"]], timeout=60)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def cache_dir(self, primary_bucket):
        return f"{self.tmp}/cache-{primary_bucket}-{os.getpid()}"

    def config(self, primary_bucket="lake-primary", extra="", storage_extra="", tenant_endpoint=None):
        ep = self.rgw["S3_ENDPOINT"]
        return (f'[storage]\nsecrets_file = "{self.secrets}"\nrescue_bucket = "rescue"\n'
                f'cache_dir = "{self.cache_dir(primary_bucket)}"\n{storage_extra}'
                f'[buckets.primary]\nbackend = "s3"\nendpoint = "{ep}"\nbucket = "{primary_bucket}"\n'
                f'addressing = "path"\nsecret_ref = "ci"\nmax_retries = 2\nretry_budget_ms = 1500\ntimeout_ms = 2000\n'
                f'[buckets.rescue]\nroot = "{self.tmp}/rescue"\n'
                f'[buckets.tenant]\nbackend = "s3"\nendpoint = "{tenant_endpoint or ep}"\nbucket = "lake-tenant"\n'
                f'addressing = "path"\nsecret_ref = "ci"\n' + extra)

    def server(self, **kw):
        srv = lh.Server(config=self.config(**kw))
        srv.start()
        self.addCleanup(srv.cleanup)
        return srv

    def ingest(self, srv, dataset, body=PEOPLE.encode(), query=""):
        r = srv.request("POST", f"/ingest/file?dataset={dataset}&format=csv{query}", body=body)
        self.assertEqual(r.status, 201, r)

    def sql(self, srv, q):
        r = srv.request("POST", "/query/sql", body={"sql": q})
        self.assertEqual(r.status, 200, r)
        return r.json()["rows"]

    # ---- the core loop, unchanged ----

    def test_core_loop_suite_on_s3(self):
        env = dict(os.environ, LH_E2E_S3=" ".join(lh.S3_PRIMARY))
        r = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "test_core_loop.py")],
                           env=env, capture_output=True, text=True, timeout=500)
        self.assertEqual(r.returncode, 0, r.stderr[-4000:])

    # ---- restart rebuilds from the bucket; federation ----

    def test_restart_with_empty_cache_rebuilds_catalog(self):
        lh.aws("s3api", "create-bucket", "--bucket", "lake-restart", check=False)
        srv = self.server(primary_bucket="lake-restart")
        self.ingest(srv, "people")
        self.ingest(srv, "eu_people", query="&bucket=tenant")
        self.assertEqual(srv.get("/catalog/datasets/eu_people").json().get("bucket"), "tenant")
        self.assertEqual(self.sql(srv, "SELECT count(*) FROM people"), [[3]])
        self.assertEqual(self.sql(srv, "SELECT name FROM eu_people WHERE city = 'Denver'"), [["Bo"]])
        stats = srv.get("/storage/cache/stats").json()
        self.assertTrue(stats["enabled"])
        self.assertGreaterEqual(stats["fills_on_write"], 2)  # write-through on ingest
        srv.stop()
        cache = f"{self.tmp}/cache-lake-restart-{os.getpid()}"
        self.assertTrue(os.path.isdir(cache))
        shutil.rmtree(cache)
        # a new server, new local state, same buckets
        srv2 = self.server(primary_bucket="lake-restart")
        self.assertEqual(self.sql(srv2, "SELECT count(*) FROM people"), [[3]])
        self.assertEqual(self.sql(srv2, "SELECT count(*) FROM eu_people"), [[3]])
        st = srv2.get("/storage/cache/stats").json()
        self.assertGreaterEqual(st["misses"], 2)  # fetched on first use
        h = srv2.get("/storage/bucket-health").json()
        self.assertEqual(h["status"], "ok", h)
        self.assertTrue(all(b["reachable"] for b in h["buckets"]))

    # ---- the read cache: a query fetches only what it names ----

    def stats(self, srv):
        """Cache stats once the last query's run is freed: it releases its
        pins just after the response's last byte, so wait briefly for that."""
        import time
        deadline = time.time() + 10
        st = srv.get("/storage/cache/stats").json()
        while st["pinned"] and time.time() < deadline:
            time.sleep(0.05)
            st = srv.get("/storage/cache/stats").json()
        return st

    def test_query_fetches_only_the_datasets_it_names(self):
        # A 1-byte cache holds nothing between queries: every file a query
        # reads is a miss, so misses count exactly the files it fetched.
        lh.aws("s3api", "create-bucket", "--bucket", "lake-sweep", check=False)
        srv = self.server(primary_bucket="lake-sweep", storage_extra="cache_max_bytes = 1\n")
        for name in ("alpha", "beta", "gamma"):
            self.ingest(srv, name)
        self.ingest(srv, "alpha", query="&mode=append")  # alpha: two files (versions 1 and 2)
        st = self.stats(srv)
        self.assertEqual(st["pinned"], 0)
        self.assertLessEqual(st["files"], 1)  # everything else was evicted
        m0 = st["misses"]
        # naming beta fetches beta's one file — not alpha's two, not gamma's
        self.assertEqual(self.sql(srv, "SELECT count(*) FROM beta"), [[3]])
        st = self.stats(srv)
        self.assertEqual(st["misses"] - m0, 1, st)
        self.assertEqual(st["pinned"], 0)  # released when the query's run ended
        self.assertEqual(st["files"], 0)   # ...and the bound holds again
        # naming none fetches nothing
        m0 = st["misses"]
        self.assertEqual(self.sql(srv, "SELECT 42"), [[42]])
        self.assertEqual(self.stats(srv)["misses"], m0)
        # a join, a subquery and upper case: all named files are fetched and
        # pinned together, so the second fetch cannot evict the first
        q = ("SELECT count(*) FROM ALPHA a JOIN gamma g ON a.id = g.id "
             "WHERE a.id IN (SELECT id FROM beta)")
        self.assertEqual(self.sql(srv, q), [[6]])
        self.assertEqual(self.stats(srv)["misses"] - m0, 4)
        # time travel reads the old version's files, fetched on demand
        m0 = self.stats(srv)["misses"]
        r = srv.request("POST", "/query/sql", body={"sql": "SELECT count(*) FROM alpha", "as_of_version": 1})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["rows"], [[3]])
        self.assertEqual(self.stats(srv)["misses"] - m0, 1)
        # a statement the parser cannot see into still works (every dataset is checked)
        r = srv.request("POST", "/query/sql", body={"sql": "EXPLAIN SELECT count(*) FROM gamma"})
        self.assertEqual(r.status, 200, r)

    def test_query_after_the_cache_was_emptied(self):
        lh.aws("s3api", "create-bucket", "--bucket", "lake-emptied", check=False)
        srv = self.server(primary_bucket="lake-emptied")
        self.ingest(srv, "people")
        self.ingest(srv, "people", body=b"id,name,city\n4,Dee,Austin\n", query="&mode=append")
        self.assertEqual(self.sql(srv, "SELECT count(*) FROM people"), [[4]])
        # the cache directory is emptied behind the server's back
        cache = self.cache_dir("lake-emptied")
        for entry in os.listdir(cache):
            shutil.rmtree(os.path.join(cache, entry), ignore_errors=True)
        m0 = self.stats(srv)["misses"]
        self.assertEqual(self.sql(srv, "SELECT count(*) FROM people"), [[4]])
        self.assertEqual(self.stats(srv)["misses"] - m0, 2)
        for entry in os.listdir(cache):
            shutil.rmtree(os.path.join(cache, entry), ignore_errors=True)
        r = srv.request("POST", "/query/sql", body={"sql": "SELECT count(*) FROM people", "as_of_version": 1})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["rows"], [[3]])

    def test_tenant_bucket_down_at_start(self):
        # A dataset in a tenant bucket whose endpoint is dead when the server
        # starts with an empty cache: the server starts, the other datasets
        # answer, and the tenant's dataset gets a clear 503 when named.
        lh.aws("s3api", "create-bucket", "--bucket", "lake-down", check=False)
        srv = self.server(primary_bucket="lake-down")
        self.ingest(srv, "people")
        self.ingest(srv, "eu_down", query="&bucket=tenant")
        srv.stop()
        shutil.rmtree(self.cache_dir("lake-down"))
        import socket
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
        sock.close()
        srv2 = self.server(primary_bucket="lake-down", tenant_endpoint=f"http://127.0.0.1:{closed}")
        self.assertIn("eu_down", srv2.read_log())  # the deferral was logged
        self.assertEqual(self.sql(srv2, "SELECT count(*) FROM people"), [[3]])
        r = srv2.request("POST", "/query/sql", body={"sql": "SELECT count(*) FROM eu_down"})
        self.assertEqual(r.status, 503, r)
        self.assertEqual(lh.error_code(r), "bucket_unavailable")
        self.assertIn('dataset "eu_down" cannot be read', r.json()["error"]["message"])
        self.assertIn('bucket "tenant" is unavailable', r.json()["error"]["message"])
        self.assertEqual(srv2.get("/health").json()["status"], "degraded")
        srv2.stop()
        # the endpoint is back (a restart): the dataset reads again
        srv3 = self.server(primary_bucket="lake-down")
        self.assertEqual(self.sql(srv3, "SELECT count(*) FROM eu_down"), [[3]])

    # ---- cross-checks with awscli ----

    def test_objects_written_are_read_by_aws_and_back(self):
        srv = self.server()
        r = srv.request("POST", "/ingest/file?dataset=crossed&format=csv", body=PEOPLE.encode())
        self.assertEqual(r.status, 201, r)
        out = lh.aws("s3api", "list-objects-v2", "--bucket", "lake-primary", "--prefix", "datasets/crossed/",
                     "--output", "json").stdout
        import json
        keys = [o["Key"] for o in json.loads(out)["Contents"]]
        self.assertEqual(len(keys), 1)
        self.assertTrue(keys[0].endswith(".parquet"))
        dst = os.path.join(self.tmp, "via-aws.parquet")
        lh.aws("s3api", "get-object", "--bucket", "lake-primary", "--key", keys[0], dst)
        mine = srv.get("/storage/buckets/primary/objects/" + keys[0])
        self.assertEqual(mine.status, 200)
        with open(dst, "rb") as f:
            self.assertEqual(f.read(), mine.body)
        self.assertTrue(mine.body.startswith(b"PAR1"))
        # manifests are there too
        out = lh.aws("s3api", "list-objects-v2", "--bucket", "lake-primary", "--prefix", "_catalog/crossed/",
                     "--output", "json").stdout
        self.assertEqual(len(json.loads(out)["Contents"]), 1)
        # a plain object PUT through the gateway, byte-identical via aws
        body = os.urandom(300000)
        r = srv.request("PUT", "/storage/buckets/primary/objects/raw/blob.bin", body=body)
        self.assertIn(r.status, (200, 201), r)
        lh.aws("s3api", "get-object", "--bucket", "lake-primary", "--key", "raw/blob.bin", dst)
        with open(dst, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), hashlib.sha256(body).hexdigest())

    def test_multipart_upload_by_aws_is_read_and_ingested(self):
        srv = self.server()
        rows = ["id,name,score"] + [f"{i},name{i},{i % 97}" for i in range(700000)]
        data = ("\n".join(rows) + "\n").encode()
        self.assertGreater(len(data), 9 * 1024 * 1024)  # over awscli's 8 MiB multipart threshold
        src = os.path.join(self.tmp, "upload.csv")
        with open(src, "wb") as f:
            f.write(data)
        lh.aws("s3", "cp", src, "s3://lake-primary/incoming/upload.csv")
        head = lh.aws("s3api", "head-object", "--bucket", "lake-primary", "--key", "incoming/upload.csv").stdout
        self.assertIn("-", head.split('"ETag"')[1].split(",")[0])  # a multipart ETag
        r = srv.get("/storage/buckets/primary/objects/incoming/upload.csv")
        self.assertEqual(r.status, 200)
        self.assertEqual(hashlib.sha256(r.body).hexdigest(), hashlib.sha256(data).hexdigest())
        r = srv.get("/storage/buckets/primary/objects/incoming/upload.csv", headers={"Range": "bytes=5-14"})
        self.assertEqual(r.status, 206)
        self.assertEqual(r.body, data[5:15])
        r = srv.request("POST", "/ingest/file?dataset=uploaded&format=csv", body=r.body if False else data)
        self.assertIn(r.status, (201, 202), r)
        if r.status == 202:
            job = r.json()["job_id"] if "job_id" in r.json() else r.json()["job"]["id"]
            import time
            for _ in range(300):
                j = srv.get(f"/jobs/{job}").json()
                if j.get("state") in ("succeeded", "failed"):
                    break
                time.sleep(0.2)
            self.assertEqual(j.get("state"), "succeeded", j)
        self.assertEqual(self.sql(srv, "SELECT count(*), sum(score) FROM uploaded"),
                         [[700000, sum(i % 97 for i in range(700000))]])

    # ---- bad credentials and buckets ----

    def test_wrong_secret_and_missing_bucket(self):
        ep = self.rgw["S3_ENDPOINT"]
        extra = (f'[buckets.badkey]\nbackend = "s3"\nendpoint = "{ep}"\nbucket = "lake-tenant"\n'
                 f'addressing = "path"\nsecret_ref = "wrong"\n'
                 f'[buckets.ghost]\nbackend = "s3"\nendpoint = "{ep}"\nbucket = "no-such-bucket"\n'
                 f'addressing = "path"\nsecret_ref = "ci"\n')
        srv = lh.Server(config=self.config(extra=extra)).start()
        self.addCleanup(srv.cleanup)
        r = srv.get("/storage/buckets/badkey/objects/anything")
        self.assertEqual(r.status, 403, r)
        self.assertEqual(lh.error_code(r), "s3_access_denied")
        self.assertIn('secret_ref "wrong"', r.json()["error"]["message"])
        r = srv.request("PUT", "/storage/buckets/badkey/objects/k", body=b"x")
        self.assertEqual(r.status, 403, r)
        msg = r.json()["error"]["message"]
        self.assertIn("SignatureDoesNotMatch", msg)  # S3's own code, from the error document
        self.assertIn("request id", msg)
        self.assertNotIn("not-it", msg)
        r = srv.request("PUT", "/storage/buckets/ghost/objects/k", body=b"x")
        self.assertEqual(r.status, 503, r)
        self.assertEqual(lh.error_code(r), "s3_bucket_missing")
        self.assertIn("no-such-bucket", r.json()["error"]["message"])
        h = srv.get("/storage/bucket-health").json()
        by = {b["name"]: b for b in h["buckets"]}
        self.assertEqual(h["status"], "degraded")
        self.assertFalse(by["ghost"]["reachable"])
        self.assertEqual(by["ghost"]["code"], "s3_bucket_missing")
        self.assertFalse(by["badkey"]["reachable"])
        self.assertTrue(by["primary"]["reachable"])
        self.assertEqual(srv.get("/health").json()["status"], "degraded")
        # the secret never reaches the log
        self.assertNotIn(self.rgw["S3_SECRET_KEY"], srv.read_log())

    # ---- RGW goes away mid-run (last: it stops and restarts the server) ----

    def test_z_rgw_stopped_mid_run(self):
        srv = self.server()
        r = srv.request("PUT", "/storage/buckets/primary/objects/docs/readme.txt", body=b"from s3")
        self.assertIn(r.status, (200, 201), r)
        r = srv.request("PUT", "/storage/buckets/rescue/objects/docs/readme.txt", body=b"from rescue")
        self.assertIn(r.status, (200, 201), r)
        subprocess.run([RGW, "stop-rgw", self.rgw["RGW_DIR"]], check=True, timeout=30)
        try:
            r = srv.request("PUT", "/storage/buckets/primary/objects/docs/new.txt", body=b"x")
            self.assertEqual(r.status, 503, r)
            self.assertEqual(lh.error_code(r), "bucket_unavailable")
            self.assertIn('bucket "primary" is unavailable', r.json()["error"]["message"])
            r = srv.get("/storage/buckets/primary/objects/docs/readme.txt")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body, b"from rescue")
            self.assertEqual(r.header("X-Lakehouse-Rescue-Used"), "true")
            ev = srv.get("/storage/errors?bucket=primary").json()["events"]
            ops = {e["op"] for e in ev}
            self.assertIn("put", ops)
            self.assertIn("get", ops)
            self.assertTrue(all(e["code"] == "bucket_unavailable" for e in ev), ev)
            self.assertEqual(srv.get("/health").status, 503)
        finally:
            subprocess.run([RGW, "start-rgw", self.rgw["RGW_DIR"]], check=True, timeout=90)
        r = srv.get("/storage/buckets/primary/objects/docs/readme.txt")
        self.assertEqual(r.body, b"from s3")


if __name__ == "__main__":
    if not (shutil.which("radosgw") and os.access("/usr/bin/aws", os.X_OK)):
        print("skipped: Ceph RGW (radosgw) or Debian's awscli (/usr/bin/aws) is not installed; "
              "tests/tools/setup-test-deps.sh installs them")
        sys.exit(77)
    lh.main()
