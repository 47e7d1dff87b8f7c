"""End-to-end: the core loop — file ingest -> Parquet -> catalog -> SQL over HTTP."""
import csv
import hashlib
import io
import json
import os
import subprocess
import threading
import unittest
from urllib.parse import quote

import lh

PEOPLE = ("id,name,email,phone,city,years,rate,joined,active\n"
          "1,Ana López,ana@example.com,+1-312-555-0101,Chicago,5,28.50,2024-01-15,true\n"
          "2,Bo O'Brien,bo@example.com,+1-312-555-0102,Denver,12,31.00,2023-06-01,false\n"
          "3,\"Chen, Wei\",wei@example.com,+1-312-555-0103,Chicago,3,25.75,2025-02-28,true\n")


class CoreLoop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = lh.Server(config="[ingest]\nasync_threshold_bytes = 1000000\n").start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def ingest(self, dataset, body, fmt="csv", mode=None, extra="", timeout=60):
        q = f"/ingest/file?dataset={dataset}&format={fmt}" + (f"&mode={mode}" if mode else "") + extra
        return self.srv.request("POST", q, body=body.encode() if isinstance(body, str) else body, timeout=timeout)

    def sql(self, sql, **kw):
        return self.srv.request("POST", "/query/sql", body=dict(sql=sql, **kw))

    def rows(self, sql):
        r = self.sql(sql)
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertNotIn("error", j)
        return j["rows"]

    # ---- ingest and query ----

    def test_csv_roundtrip_types_and_lineage(self):
        r = self.ingest("people", PEOPLE, extra="&owner=ops&description=Staff%20export&tags=hr,export&file_name=people.csv")
        self.assertEqual(r.status, 201, r)
        res = r.json()
        self.assertEqual((res["dataset"], res["version"], res["rows"]), ("people", 1, 3))
        types = {c["name"]: c["type"] for c in res["columns"]}
        self.assertEqual(types["id"], "BIGINT")
        self.assertEqual(types["name"], "VARCHAR")
        self.assertEqual(types["years"], "BIGINT")
        self.assertEqual(types["rate"], "DOUBLE")
        self.assertEqual(types["joined"], "DATE")
        self.assertEqual(types["active"], "BOOLEAN")
        self.assertEqual(self.rows("SELECT name FROM people WHERE city = 'Chicago' ORDER BY id"),
                         [["Ana López"], ["Chen, Wei"]])
        d = self.srv.get("/catalog/datasets/people").json()
        self.assertEqual((d["owner"], d["description"], d["tags"]), ("ops", "Staff export", ["hr", "export"]))
        self.assertEqual(d["row_count"], 3)
        lin = d["lineage"][-1]
        self.assertEqual(lin["sha256"], hashlib.sha256(PEOPLE.encode()).hexdigest())
        self.assertEqual((lin["bytes"], lin["rows"], lin["file_name"], lin["mode"]), (len(PEOPLE.encode()), 3, "people.csv", "create"))
        self.assertIn("ingested_at", lin)
        self.assertEqual(lin["actor"], "anonymous")
        cols = {c["name"]: c for c in d["columns"]}
        self.assertEqual(cols["email"]["sensitivity"], "pii")
        self.assertEqual(cols["email"]["pii_kind"], "email")
        self.assertEqual(cols["phone"]["sensitivity"], "pii")
        self.assertEqual(cols["city"]["sensitivity"], "none")
        self.assertEqual(d["sensitivity"], "pii")
        self.assertFalse(d["stale"])

    def test_adr010_messy_column_is_varchar(self):
        body = "id,code\n1,123\n2,N/A\n3,\n"
        r = self.ingest("messy", body)
        self.assertEqual(r.status, 201, r)
        self.assertEqual({c["name"]: c["type"] for c in r.json()["columns"]}["code"], "VARCHAR")
        self.assertEqual(self.rows("SELECT count(*) FROM messy"), [[3]])
        late = "id,x\n" + "".join(f"{i},{i}\n" for i in range(40000)) + "40000,N/A\n"
        r = self.ingest("late_na", late)
        self.assertEqual(r.status, 201, r)
        self.assertEqual({c["name"]: c["type"] for c in r.json()["columns"]}["x"], "VARCHAR")
        self.assertEqual(self.rows("SELECT count(*) FROM late_na"), [[40001]])

    def test_header_normalisation_is_reported(self):
        r = self.ingest("hdr", "  name ,,name,Name\na,b,c,d\n")
        self.assertEqual(r.status, 201, r)
        names = [c["name"] for c in r.json()["columns"]]
        self.assertEqual(len(set(n.lower() for n in names)), 4, names)
        self.assertTrue(all(n == n.strip() and n for n in names))
        reasons = " ".join(ch["reason"] for ch in r.json()["header_changes"])
        self.assertIn("trim", reasons)
        self.assertIn("empty", reasons)
        self.assertIn("duplicate", reasons)

    def test_other_formats(self):
        self.assertEqual(self.ingest("t_tsv", "a\tb\n1\tx\n2\ty\n", fmt="tsv").status, 201)
        self.assertEqual(self.ingest("t_json", '[{"a":1,"b":"x"},{"a":2,"b":"y"}]', fmt="json").status, 201)
        self.assertEqual(self.ingest("t_ndjson", '{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n', fmt="ndjson").status, 201)
        for t in ("t_tsv", "t_json", "t_ndjson"):
            self.assertEqual(self.rows(f"SELECT a, b FROM {t} ORDER BY a"), [[1, "x"], [2, "y"]], t)
        # Parquet: take the data file the lakehouse wrote and ingest it again
        key = self.srv.get("/catalog/datasets/t_json").json()["files"][0]["key"]
        pq = self.srv.get(f"/storage/buckets/primary/objects/{key}").body
        self.assertEqual(pq[:4], b"PAR1")
        self.assertEqual(self.ingest("t_parquet", pq, fmt="parquet").status, 201)
        self.assertEqual(self.rows("SELECT a, b FROM t_parquet ORDER BY a"), [[1, "x"], [2, "y"]])

    def test_malformed_files_are_refused_and_commit_nothing(self):
        cases = {
            "empty": (b"", "empty_file"),
            "ragged": (b"a,b\n1,2\n3,4,5\n6,7\n", "malformed_file"),
            "badquote": (b'a,b\n1,"unterminated\n2,3\n', "malformed_file"),
            "badutf8": (b"a,b\n1,\xff\xfe\n", "malformed_file"),
            "badjson": (b'[{"a":1},{"a":', "malformed_file"),
        }
        for name, (body, code) in cases.items():
            r = self.ingest("bad_" + name, body, fmt="json" if name == "badjson" else "csv")
            self.assertEqual(r.status, 400, f"{name}: {r}")
            self.assertEqual(lh.error_code(r), code, name)
            self.assertEqual(self.srv.get("/catalog/datasets/bad_" + name).status, 404, name)
        self.assertEqual(self.srv.get("/catalog/orphans").json()["count"], 0)

    def test_header_only_and_wide(self):
        r = self.ingest("hdr_only", "a,b,c\n")
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["rows"], 0)
        self.assertEqual(self.rows("SELECT count(*) FROM hdr_only"), [[0]])
        n = 10000
        wide = ",".join(f"c{i}" for i in range(n)) + "\n" + ",".join(str(i) for i in range(n)) + "\n"
        # 10,000 columns: over a minute under the sanitizers on a busy machine
        r = self.ingest("wide", wide, extra="&async=false", timeout=300)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(len(r.json()["columns"]), n)
        self.assertEqual(self.rows("SELECT c9999 FROM wide"), [[9999]])

    def test_bad_requests(self):
        self.assertEqual(lh.error_code(self.srv.request("POST", "/ingest/file?format=csv", body=b"a\n1\n")), "missing_parameter")
        r = self.ingest("Bad-Name", "a\n1\n")
        self.assertEqual((r.status, lh.error_code(r)), (400, "invalid_dataset_name"))
        r = self.ingest("x", "a\n1\n", fmt="xlsx")
        self.assertEqual(r.status, 400)
        r = self.ingest("x", "a\n1\n", mode="upsert")
        self.assertEqual((r.status, lh.error_code(r)), (400, "invalid_mode"))
        r = self.ingest("x", "a\n1\n", extra="&bucket=nope")
        self.assertEqual((r.status, lh.error_code(r)), (404, "bucket_not_found"))

    # ---- modes ----

    def test_modes_append_replace_and_schema_mismatch(self):
        self.assertEqual(self.ingest("m", "id,rate\n1,10\n").status, 201)
        r = self.ingest("m", "id,rate\n2,20\n")
        self.assertEqual((r.status, lh.error_code(r)), (409, "dataset_exists"))
        r = self.ingest("m", "id,rate\n2,20\n3,30\n", mode="append")
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["row_count"], 3)
        before = self.srv.get("/catalog/datasets/m").json()["version"]
        r = self.ingest("m", "id,rate\n4,N/A\n", mode="append")
        self.assertEqual((r.status, lh.error_code(r)), (400, "schema_mismatch"))
        msg = r.json()["error"]["message"]
        self.assertIn('"rate"', msg)
        self.assertIn("VARCHAR", msg)
        self.assertIn("BIGINT", msg)
        r = self.ingest("m", "id,rate,extra\n4,1,x\n", mode="append")
        self.assertEqual((r.status, lh.error_code(r)), (400, "schema_mismatch"))
        self.assertIn("extra", r.json()["error"]["message"])
        self.assertEqual(self.srv.get("/catalog/datasets/m").json()["version"], before)
        self.assertEqual(self.rows("SELECT sum(rate) FROM m"), [[60]])
        r = self.ingest("m", "id,rate\n9,90\n", mode="replace")
        self.assertEqual(r.status, 201)
        self.assertEqual(self.rows("SELECT id, rate FROM m"), [[9, 90]])
        vs = self.srv.get("/catalog/datasets/m/versions").json()["versions"]
        # create, append, replace; the refused appends left no version behind
        self.assertEqual([(v["version"], v["row_count"]) for v in vs], [(1, 1), (2, 3), (3, 1)])
        self.assertEqual([v["change"]["mode"] for v in vs], ["create", "append", "replace"])

    # ---- catalog ----

    def test_patch_search_delete(self):
        self.assertEqual(self.ingest("cands", "candidate_id,first_name,last_name,skills\n1,A,B,welding\n").status, 201)
        r = self.srv.request("PATCH", "/catalog/datasets/cands",
                             body={"description": "Candidate pool", "tags": ["talent"], "freshness_sla_hours": 24,
                                   "columns": {"first_name": {"sensitivity": "none"}}})
        self.assertEqual(r.status, 200, r)
        d = r.json()
        self.assertEqual((d["description"], d["tags"], d["freshness_sla_hours"], d["version"]), ("Candidate pool", ["talent"], 24, 2))
        fn = [c for c in d["columns"] if c["name"] == "first_name"][0]
        self.assertEqual((fn["sensitivity"], fn["sensitivity_source"]), ("none", "override"))
        for bad in ({"nope": 1}, {"tags": "x"}, {"freshness_sla_hours": -1}, {"columns": {"zzz": {"sensitivity": "pii"}}},
                    {"columns": {"first_name": {"sensitivity": "secret"}}}, {"owner": 5}, {"version": 1}):
            r = self.srv.request("PATCH", "/catalog/datasets/cands", body=bad)
            self.assertIn(r.status, (400, 409), bad)
        self.assertEqual(self.srv.request("PATCH", "/catalog/datasets/cands", body=b"{not json").status, 400)
        for q, on in (("talent", "tags"), ("pool", "description"), ("skills", "columns"), ("cand", "name")):
            res = self.srv.get("/catalog/search?q=" + q).json()["results"]
            hit = [x for x in res if x["name"] == "cands"]
            self.assertTrue(hit and on in hit[0]["matched_on"], (q, res))
        self.assertEqual(self.srv.get("/catalog/search").status, 400)
        r = self.srv.request("DELETE", "/catalog/datasets/cands")
        self.assertEqual(r.status, 200)
        self.assertEqual(self.srv.get("/catalog/datasets/cands").status, 404)
        self.assertNotIn("cands", [x["name"] for x in self.srv.get("/catalog/datasets").json()["datasets"]])
        r = self.sql("SELECT * FROM cands")
        self.assertEqual(r.status, 400)
        self.assertEqual(self.srv.request("DELETE", "/catalog/datasets/cands").status, 404)
        r = self.ingest("cands", "candidate_id\n7\n")
        self.assertEqual(r.status, 201)
        self.assertEqual(r.json()["version"], 4)  # numbering continues after the tombstone
        self.assertEqual(self.srv.get("/catalog/datasets/nope/versions").status, 404)

    def test_orphans_are_reported_and_never_queried(self):
        self.assertEqual(self.ingest("orph", "a\n1\n").status, 201)
        # an interrupted write: a data object that no manifest names
        key = "datasets/orph/data/000000000009-dead.parquet"
        src = self.srv.get("/catalog/datasets/orph").json()["files"][0]["key"]
        data = self.srv.get(f"/storage/buckets/primary/objects/{src}").body
        self.assertEqual(self.srv.request("PUT", f"/storage/buckets/primary/objects/{key}", body=data).status, 201)
        o = self.srv.get("/catalog/orphans").json()
        self.assertIn(key, [x["key"] for x in o["orphans"]])
        self.assertEqual(self.rows("SELECT count(*) FROM orph"), [[1]])

    # ---- query service ----

    def test_formats_limit_and_errors(self):
        self.ingest("nums", "n,s\n" + "".join(f'{i},"v,{i}"\n' for i in range(1, 101)))
        r = self.sql("SELECT n, s FROM nums ORDER BY n", limit=10)
        j = r.json()
        self.assertEqual([c["name"] for c in j["columns"]], ["n", "s"])
        self.assertEqual(j["columns"][0]["type"], "BIGINT")
        self.assertEqual((j["row_count"], j["truncated"]), (10, True))
        r = self.sql("SELECT n, s FROM nums ORDER BY n LIMIT 3", format="ndjson")
        self.assertEqual(r.header("Content-Type"), "application/x-ndjson")
        self.assertEqual([json.loads(l) for l in r.body.decode().splitlines()],
                         [{"n": 1, "s": "v,1"}, {"n": 2, "s": "v,2"}, {"n": 3, "s": "v,3"}])
        r = self.sql("SELECT n, s FROM nums ORDER BY n LIMIT 2", format="csv")
        self.assertEqual(list(csv.reader(io.StringIO(r.body.decode()))), [["n", "s"], ["1", "v,1"], ["2", "v,2"]])
        r = self.sql("SELECT n, s FROM nums WHERE n <= 40 ORDER BY n;  -- trailing comment", format="parquet", limit=25)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "application/vnd.apache.parquet")
        self.assertEqual((r.body[:4], r.body[-4:]), (b"PAR1", b"PAR1"))
        back = self.ingest("nums_pq", r.body, fmt="parquet")
        self.assertEqual(back.status, 201, back)
        self.assertEqual(self.rows("SELECT count(*), min(n), max(n), max(s) FROM nums_pq"), [[25, 1, 25, "v,9"]])
        self.assertEqual(self.sql("EXPLAIN SELECT 1", format="parquet").status, 400)
        r = self.sql("SELEC 1")
        self.assertEqual((r.status, lh.error_code(r)), (400, "sql_error"))
        self.assertIn("syntax error", r.json()["error"]["message"].lower())
        r = self.sql("SELECT * FROM no_such_table")
        self.assertEqual(r.status, 400)
        self.assertIn("no_such_table", r.json()["error"]["message"])
        self.assertEqual(lh.error_code(self.sql("SELECT 1; SELECT 2")), "one_statement")
        for body in ({}, {"sql": ""}, {"sql": 5}, {"sql": "SELECT 1", "format": "xml"}, {"sql": "SELECT 1", "limit": 0},
                     {"sql": "SELECT 1", "timeout_ms": -5}, {"sql": "SELECT 1", "bogus": 1}):
            self.assertEqual(self.srv.request("POST", "/query/sql", body=body).status, 400, body)
        r = self.srv.request("POST", "/query/sql", body={"sql": "SELECT 1", "bogus": 1})
        self.assertIn('unknown field "bogus" (allowed: sql, format, limit, timeout_ms, as_of, as_of_version)',
                      r.json()["error"]["message"])

    def test_timeout(self):
        r = self.sql("SELECT count(*) FROM range(100000000000) a", timeout_ms=300)
        self.assertEqual((r.status, lh.error_code(r)), (504, "query_timeout"))

    @unittest.skipIf(lh.S3_PRIMARY, "plants a file in the local primary's scratch folder")
    def test_sandbox_refuses_escapes(self):
        self.ingest("sb", "a\n1\n")
        with open(os.path.join(self.srv.data_dir, ".lakehouse", "scratch", "staged.csv"), "w") as f:
            f.write("secret\nnot yours\n")
        escapes = [
            "SELECT * FROM read_csv('/etc/passwd')",
            "SELECT * FROM read_text('/etc/hostname')",
            "SELECT * FROM glob('/etc/*')",
            "COPY (SELECT 1) TO '/tmp/lh-escape.csv'",
            "ATTACH '/tmp/lh-escape.db' AS x",
            "INSTALL httpfs",
            "LOAD httpfs",
            "CREATE TABLE t AS SELECT 1",
            "INSERT INTO sb VALUES (2)",
            "SET enable_external_access = true",
            "SET allowed_directories = ['/']",
            "CREATE OR REPLACE VIEW sb AS SELECT 42 AS a",
            "PRAGMA enable_profiling",
            "PRAGMA disable_optimizer",
            "CREATE SECRET s (TYPE http)",
            "ATTACH ':memory:' AS m",
            f"COPY (SELECT 1) TO '{self.srv.data_dir}/datasets/sb/evil.csv'",
            "DROP VIEW sb",
            f"SELECT * FROM read_parquet('{self.srv.data_dir}/_catalog/sb/v000000000001.parquet')",
            # the mutation journal is readable (the lakehouse_journal view); other journals are not
            f"SELECT * FROM read_text('{self.srv.data_dir}/_errors/bucket_errors/x')",
            # staged uploads wait in the scratch area before their commit
            f"SELECT * FROM read_csv('{os.path.realpath(self.srv.data_dir)}/.lakehouse/scratch/staged.csv')",
        ]
        for s in escapes:
            r = self.sql(s)
            self.assertIn(r.status, (400, 403), f"{s}: {r}")
        self.assertFalse(os.path.exists("/tmp/lh-escape.csv"))
        self.assertFalse(os.path.exists("/tmp/lh-escape.db"))
        self.assertEqual(self.rows("SELECT a FROM sb"), [[1]])
        for s in ("EXPLAIN SELECT * FROM sb", "DESCRIBE sb", "SHOW TABLES", "PRAGMA table_info('sb')"):
            self.assertEqual(self.sql(s).status, 200, s)

    def test_queries_during_commits_never_see_a_mix(self):
        self.assertEqual(self.ingest("growing", "k\n" + "x\n" * 100).status, 201)
        errors, counts = [], []
        stop = threading.Event()

        def reader():
            while not stop.is_set():
                r = self.sql("SELECT count(*) FROM growing")
                if r.status != 200:
                    errors.append(r)
                else:
                    counts.append(r.json()["rows"][0][0])

        ts = [threading.Thread(target=reader) for _ in range(3)]
        for t in ts:
            t.start()
        for _ in range(8):
            r = self.ingest("growing", "k\n" + "y\n" * 100, mode="append")
            self.assertEqual(r.status, 201, r)
        stop.set()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        self.assertTrue(counts)
        self.assertTrue(all(c % 100 == 0 for c in counts), set(counts))
        self.assertEqual(self.rows("SELECT count(*) FROM growing"), [[900]])

    def test_async_job(self):
        big = "id,v\n" + "".join(f"{i},{i * 2}\n" for i in range(150000))
        self.assertGreater(len(big), 1000000)
        r = self.ingest("bigjob", big)
        self.assertEqual(r.status, 202, r)
        job = r.json()["job_id"]
        self.assertEqual(r.header("Location"), f"/jobs/{job}")
        import time
        for _ in range(200):
            s = self.srv.get(f"/jobs/{job}").json()
            if s["state"] != "running":
                break
            time.sleep(0.1)
        self.assertEqual(s["state"], "succeeded", s)
        self.assertEqual(s["result"]["rows"], 150000)
        self.assertGreater(s["bytes"], 1000000)
        self.assertEqual(self.rows("SELECT sum(v) FROM bigjob"), [[sum(i * 2 for i in range(150000))]])
        self.assertEqual(self.srv.get("/jobs/nope").status, 404)
        self.assertIn(job, [x["id"] for x in self.srv.get("/jobs").json()["jobs"]])


class RestartAndCli(unittest.TestCase):
    def test_restart_keeps_every_dataset(self):
        srv = lh.Server().start()
        try:
            for i in range(3):
                r = srv.request("POST", f"/ingest/file?dataset=d{i}&format=csv", body=f"a,b\n{i},x\n".encode())
                self.assertEqual(r.status, 201)
            srv.request("PATCH", "/catalog/datasets/d1", body={"description": "kept"})
            srv.request("DELETE", "/catalog/datasets/d2")
            before = srv.get("/catalog/datasets").json()["datasets"]
            srv.stop()
            srv.start()
            after = srv.get("/catalog/datasets").json()["datasets"]
            self.assertEqual([(d["name"], d["version"], d["row_count"]) for d in before],
                             [(d["name"], d["version"], d["row_count"]) for d in after])
            self.assertEqual(srv.get("/catalog/datasets/d1").json()["description"], "kept")
            r = srv.request("POST", "/query/sql", body={"sql": "SELECT a FROM d0 UNION ALL SELECT a FROM d1 ORDER BY 1"})
            self.assertEqual(r.json()["rows"], [[0], [1]])
            self.assertEqual(srv.get("/catalog/datasets/d2").status, 404)
        finally:
            srv.cleanup()

    @unittest.skipIf(lh.S3_PRIMARY, "the CLI's direct mode opens a local --data-dir")
    def test_cli_ingest_and_sql_direct_and_via_server(self):
        srv = lh.Server()
        try:
            f = os.path.join(srv.tmp, "people.csv")
            with open(f, "w") as fh:
                fh.write(PEOPLE)
            env = {"LAKEHOUSE_URL": "http://127.0.0.1:9"}  # nothing listens: direct mode
            r = lh.run_cli("ingest", f, "--dataset", "people", "--data-dir", srv.data_dir, env=env, cwd=srv.tmp)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["rows"], 3)
            r = lh.run_cli("sql", "SELECT name, years FROM people ORDER BY id", "--data-dir", srv.data_dir, env=env,
                           cwd=srv.tmp)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("Ana López", r.stdout)
            self.assertIn("(3 rows)", r.stdout)
            table = r.stdout.splitlines()[:-1]  # header, rule, rows: aligned by characters, not bytes
            self.assertEqual(len({len(l.rstrip()) for l in table[:2]} | {len(l) for l in table}), 1, table)
            r = lh.run_cli("sql", "SELECT 1/0 AS x FROM people WHERE nope", "--data-dir", srv.data_dir, env=env, cwd=srv.tmp)
            self.assertNotEqual(r.returncode, 0)
            srv.start()
            url = f"http://127.0.0.1:{srv.port}"
            r = lh.run_cli("ingest", f, "--dataset", "people", "--mode", "append", "--server", url, cwd=srv.tmp)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = lh.run_cli("sql", "SELECT count(*) AS n FROM people", "--format", "csv", "--server", url, cwd=srv.tmp)
            self.assertEqual(r.stdout.splitlines(), ["n", "6"])
            r = lh.run_cli("ingest", f, "--dataset", "people", "--server", url, cwd=srv.tmp)
            self.assertEqual(r.returncode, 1)
            self.assertIn("already exists", r.stderr)
            self.assertEqual(lh.run_cli("ingest", "--dataset", "x").returncode, 2)
        finally:
            srv.cleanup()

    @unittest.skipIf(lh.S3_PRIMARY, "the demo's direct mode opens a local --data-dir")
    def test_demo_small_scale(self):
        srv = lh.Server()
        try:
            env = {"LAKEHOUSE_URL": "http://127.0.0.1:9"}
            r = lh.run_cli("demo", "--scale", "0.002", "--data-dir", srv.data_dir, env=env, cwd=srv.tmp, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
            srv.start()
            names = sorted(d["name"] for d in srv.get("/catalog/datasets").json()["datasets"])
            self.assertEqual(names, sorted(["candidates", "clients", "contacts", "job_orders", "submissions",
                                            "placements", "timesheets"]))
            total = sum(d["row_count"] for d in srv.get("/catalog/datasets").json()["datasets"])
            self.assertGreater(total, 4000)
            r = srv.request("POST", "/query/sql", body={"sql":
                "SELECT c.city, count(*) AS placements FROM placements p JOIN candidates c USING (candidate_id) "
                "GROUP BY 1 ORDER BY 2 DESC LIMIT 3"})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(len(r.json()["rows"]), 3)
            cand = srv.get("/catalog/datasets/candidates").json()
            pii = {c["name"] for c in cand["columns"] if c["sensitivity"] == "pii"}
            self.assertTrue({"email", "phone", "first_name", "last_name"} <= pii, pii)
            self.assertNotIn("resume_text", pii)
            r = lh.run_cli("demo", "--if-empty", "--scale", "0.002", "--server", f"http://127.0.0.1:{srv.port}", cwd=srv.tmp)
            self.assertEqual(r.returncode, 0)
            self.assertIn("nothing to do", r.stderr)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    lh.main()
