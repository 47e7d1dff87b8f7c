"""End-to-end: POST /ingest/db against a real PostgreSQL 15 server."""
import json
import os
import time
import unittest

import lh
import pgserver

PASSWORD = "s3cret-Pa55"


@unittest.skipUnless(pgserver.available(), "PostgreSQL 15 is not installed (scripts/setup.sh installs it)")
class IngestDb(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = pgserver.PgServer(hba_extra="local all app scram-sha-256").start()
        cls.pg.psql(f"CREATE ROLE app LOGIN PASSWORD '{PASSWORD}'")
        cls.pg.psql("CREATE TABLE people (id bigint PRIMARY KEY, name text, rate numeric(10,2), hired date, "
                    "tags text[], updated_at timestamptz);"
                    "INSERT INTO people SELECT g, 'person ' || g, g * 1.5, DATE '2024-01-01' + g, "
                    "ARRAY['a', 'b'], TIMESTAMPTZ '2026-01-01 00:00:00+00' + g * INTERVAL '1 minute' "
                    "FROM generate_series(1, 1000) g;"
                    "GRANT SELECT ON people TO app")
        cls.secrets = os.path.join(cls.pg.dir, "secrets.toml")
        with open(cls.secrets, "w") as f:
            f.write(f'[crm]\ndsn = "{cls.pg.uri("app", PASSWORD)}"\n')
        os.chmod(cls.secrets, 0o600)
        cls.srv = lh.Server(config=f'[storage]\nsecrets_file = "{cls.secrets}"\n').start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        cls.pg.stop()

    def ingest(self, **body):
        body.setdefault("async", False)
        return self.srv.request("POST", "/ingest/db", body=body)

    def wait(self, job):
        for _ in range(300):
            s = self.srv.get(f"/jobs/{job}").json()
            if s["state"] != "running":
                return s
            time.sleep(0.1)
        self.fail("job did not finish")

    def rows(self, sql):
        r = self.srv.request("POST", "/query/sql", body={"sql": sql})
        self.assertEqual(r.status, 200, r)
        return r.json()["rows"]

    def test_table_pull_as_job(self):
        r = self.ingest(dsn=self.pg.dsn, table="people", dataset="people", **{"async": True})
        self.assertEqual(r.status, 202, r)
        s = self.wait(r.json()["job_id"])
        self.assertEqual(s["state"], "succeeded", s)
        self.assertEqual(s["result"]["rows"], 1000)
        self.assertEqual(s["rows"], 1000)
        self.assertEqual(self.rows("SELECT count(*), sum(rate), min(hired), max(id) FROM people"),
                         [[1000, 750750.0, "2024-01-02", 1000]])
        types = {c["name"]: c["type"] for c in self.srv.get("/catalog/datasets/people").json()["columns"]}
        self.assertEqual(types["rate"], "DECIMAL(10,2)")
        self.assertEqual(types["tags"], "VARCHAR[]")
        self.assertEqual(types["updated_at"], "TIMESTAMP WITH TIME ZONE")
        lin = self.srv.get("/catalog/datasets/people").json()["lineage"][-1]
        self.assertEqual(lin["source_system"], "postgresql")
        self.assertEqual(lin["table"], "people")

    def test_query_source_and_incremental(self):
        r = self.ingest(dsn=self.pg.dsn, query="SELECT id, name FROM people WHERE id <= 10", dataset="ten")
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["rows"], 10)
        r = self.ingest(dsn=self.pg.dsn, table="people", dataset="inc", key_column="id")
        self.assertEqual((r.status, r.json()["rows"]), (201, 1000), r)
        self.assertEqual(r.json()["watermark"], "1000")
        self.pg.psql("INSERT INTO people SELECT g, 'late ' || g, 1, DATE '2025-01-01', '{}', now() "
                     "FROM generate_series(1001, 1025) g")
        try:
            r = self.ingest(dsn=self.pg.dsn, table="people", dataset="inc", key_column="id", mode="append")
            self.assertEqual(r.status, 201, r)
            self.assertEqual((r.json()["rows"], r.json()["row_count"], r.json()["incremental"]), (25, 1025, True))
            r = self.ingest(dsn=self.pg.dsn, table="people", dataset="inc", key_column="id", mode="append")
            self.assertEqual((r.status, r.json().get("unchanged")), (201, True))
            self.assertEqual(self.rows("SELECT count(*), count(DISTINCT id) FROM inc"), [[1025, 1025]])
            self.assertEqual(self.rows("SELECT tags FROM inc WHERE id = 1001"), [[[]]])
        finally:
            self.pg.psql("DELETE FROM people WHERE id > 1000")

    def test_incremental_when_every_key_is_null(self):
        # rows never updated have no updated_at: the first pull takes them
        # and leaves no watermark; the next pull must not take them again
        self.pg.psql("CREATE TABLE fresh (id int, updated_at timestamptz);"
                     "INSERT INTO fresh SELECT g, NULL FROM generate_series(1, 3) g")
        try:
            pull = dict(dsn=self.pg.dsn, table="fresh", dataset="fresh", updated_column="updated_at", mode="append")
            r = self.ingest(**pull)
            self.assertEqual((r.status, r.json()["rows"], r.json().get("watermark")), (201, 3, None), r)
            r = self.ingest(**pull)
            self.assertEqual((r.status, r.json().get("unchanged"), r.json()["row_count"]), (201, True, 3), r)
            self.pg.psql("INSERT INTO fresh VALUES (4, TIMESTAMPTZ '2026-05-01 10:00:00+00')")
            r = self.ingest(**pull)
            self.assertEqual((r.status, r.json()["rows"], r.json()["watermark"]), (201, 1, "2026-05-01 10:00:00+00"), r)
        finally:
            self.pg.psql("DROP TABLE fresh")
        self.assertEqual(self.rows("SELECT count(*), count(DISTINCT id) FROM fresh"), [[4, 4]])

    def test_secret_ref_and_password_never_shown(self):
        r = self.ingest(secret_ref="crm", table="people", dataset="via_secret")
        self.assertEqual(r.status, 201, r)
        seen = [json.dumps(r.json()), self.srv.get("/catalog/datasets/via_secret").body.decode(),
                self.srv.get("/jobs").body.decode()]
        uri = self.pg.uri("app", PASSWORD)
        r = self.ingest(dsn=uri, table="people", dataset="via_uri", **{"async": True})
        s = self.wait(r.json()["job_id"])
        self.assertEqual(s["state"], "succeeded", s)
        d = self.srv.get("/catalog/datasets/via_uri").json()
        self.assertIn("***", d["lineage"][-1]["dsn"])
        seen += [json.dumps(s), json.dumps(d), self.srv.read_log()]
        bad = self.ingest(dsn=self.pg.uri("app", PASSWORD + "x"), table="people", dataset="nope")
        self.assertEqual((bad.status, lh.error_code(bad)), (403, "pg_auth_failed"), bad)
        seen.append(bad.body.decode())
        for text in seen:
            self.assertNotIn(PASSWORD, text)

    def test_cli_direct_and_via_server(self):
        data = os.path.join(self.srv.tmp, "cli-data")
        env = {"LAKEHOUSE_URL": "http://127.0.0.1:9", "LAKEHOUSE_STORAGE_SECRETS_FILE": self.secrets}
        r = lh.run_cli("ingest-db", "--secret-ref", "crm", "--query", "SELECT id, name FROM people WHERE id <= 5",
                       "--dataset", "five", "--data-dir", data, env=env, cwd=self.srv.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["rows"], 5)
        self.assertNotIn(PASSWORD, r.stdout + r.stderr)
        url = f"http://127.0.0.1:{self.srv.port}"
        r = lh.run_cli("ingest-db", "--dsn", self.pg.dsn, "--table", "people", "--dataset", "cli_people",
                       "--batch-rows", "4096", "--server", url, cwd=self.srv.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["rows"], 1000)
        lin = self.srv.get("/catalog/datasets/cli_people").json()["lineage"][-1]
        self.assertEqual(lin["batch_rows"], 4096)
        r = lh.run_cli("ingest-db", "--dsn", self.pg.dsn, "--table", "no_such", "--dataset", "x", "--server", url,
                       cwd=self.srv.tmp)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no_such", r.stderr)
        self.assertEqual(lh.run_cli("ingest-db", "--table", "t", "--dataset", "x").returncode, 2)

    def test_keyset_pages_resume_after_a_failed_page(self):
        # 40 rows: 3 with a NULL key, the rest in groups of 3 sharing a key
        # (ties a page must not split), keyed by a timestamptz.
        self.pg.psql("CREATE TABLE feed (id int, at timestamptz, amt numeric(6,2));"
                     "INSERT INTO feed SELECT g, CASE WHEN g <= 3 THEN NULL ELSE "
                     "TIMESTAMPTZ '2026-03-01 00:00:00+00' + (g / 3) * INTERVAL '1 hour' END, g "
                     "FROM generate_series(1, 40) g; CREATE INDEX ON feed (at)")
        # a value Parquet's DECIMAL cannot hold, in what will be the third page
        self.pg.psql("UPDATE feed SET amt = 'NaN' WHERE id = 25")
        pages, versions = [], []
        try:
            def page():
                return self.ingest(dsn=self.pg.dsn, table="feed", dataset="feed", updated_column="at",
                                   mode="append", max_rows=7)
            for _ in range(2):
                r = page()
                self.assertEqual(r.status, 201, r)
                self.assertTrue(r.json()["more"])
                versions.append(r.json()["version"])
                pages.append(r.json()["rows"])
            bad = page()
            self.assertEqual((bad.status, lh.error_code(bad)), (400, "invalid_source"), bad)
            self.assertEqual(self.srv.get("/catalog/datasets/feed").json()["version"], versions[-1])
            self.pg.psql("UPDATE feed SET amt = 25 WHERE id = 25")
            for _ in range(10):
                r = page()
                self.assertEqual(r.status, 201, r)
                if r.json().get("unchanged"):
                    break
                pages.append(r.json()["rows"])
                if not r.json()["more"]:
                    break
            self.assertFalse(r.json()["more"])
        finally:
            self.pg.psql("DROP TABLE feed")
        # first page: the 3 NULL keys, then 7 rows rounded up to a whole key (ids 4..11)
        self.assertEqual(pages[0], 3 + 8)
        self.assertTrue(all(n >= 7 for n in pages[:-1]), pages)
        self.assertEqual(sum(pages), 40)
        self.assertEqual(self.rows("SELECT count(*), count(DISTINCT id), sum(amt) FROM feed"), [[40, 40, 820.0]])
        # no page split a tie: a key's rows all arrive in one version
        before = {}
        for v in range(1, len(pages) + 1):
            r = self.srv.request("POST", "/query/sql", body={
                "sql": 'SELECT CAST("at" AS VARCHAR), count(*) FROM feed GROUP BY 1', "as_of_version": v})
            self.assertEqual(r.status, 200, r)
            now = {k: n for k, n in r.json()["rows"]}
            for k, n in before.items():
                self.assertEqual(now[k], n, f"key {k} grew in version {v}")
            before = now
        self.assertEqual(sum(before.values()), 40)
        lin = self.srv.get("/catalog/datasets/feed").json()["lineage"]
        self.assertEqual([e.get("max_rows") for e in lin], [7] * len(pages))

    def test_keyset_page_bad_input(self):
        for extra in (dict(max_rows=0), dict(max_rows="7"), dict(max_rows=-1), dict(max_rows=1.5)):
            r = self.ingest(dsn=self.pg.dsn, table="people", dataset="pg_bad", key_column="id", **extra)
            self.assertEqual((r.status, lh.error_code(r)), (400, "invalid_parameter"), f"{extra}: {r}")
        r = self.ingest(dsn=self.pg.dsn, table="people", dataset="pg_bad", max_rows=5)
        self.assertEqual((r.status, lh.error_code(r)), (400, "invalid_parameter"), r)
        self.assertIn("key_column", r.json()["error"]["message"])
        self.assertEqual(self.srv.get("/catalog/datasets/pg_bad").status, 404)
        r = lh.run_cli("ingest-db", "--dsn", self.pg.dsn, "--table", "people", "--dataset", "pg_cli_page",
                       "--key-column", "id", "--max-rows", "300", "--server", f"http://127.0.0.1:{self.srv.port}",
                       cwd=self.srv.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual((out["rows"], out["more"], out["watermark"]), (300, True, "300"))

    def test_errors_are_clear_and_commit_nothing(self):
        cases = [
            (dict(dsn=self.pg.dsn, table="no_such_table", dataset="e1"), 404, "pg_table_not_found"),
            (dict(dsn="host=/nonexistent/socket/dir dbname=x connect_timeout=2", table="t", dataset="e2"), 503, "pg_unreachable"),
            (dict(dsn=f"host=x user=u password={PASSWORD} dangling", table="t", dataset="e3"), 400, "invalid_dsn"),
            (dict(dsn="postgresql://u:pw@host:notaport/db", table="t", dataset="e3b"), 503, "pg_unreachable"),
            (dict(dsn=self.pg.dsn, query="SELECT pg_sleep(5)", timeout_ms=200, dataset="e4"), 504, "pg_statement_timeout"),
            (dict(dsn=self.pg.dsn, table="people", dataset="e5", key_column="nope"), 404, "pg_column_not_found"),
            (dict(dsn=self.pg.dsn, table="people", query="SELECT 1", dataset="e6"), 400, "invalid_source"),
            (dict(table="people", dataset="e7"), 400, "invalid_source"),
            (dict(dsn=self.pg.dsn, table="people"), 400, "missing_parameter"),
            (dict(dsn=self.pg.dsn, table="people", dataset="Bad-Name"), 400, "invalid_dataset_name"),
            (dict(dsn=self.pg.dsn, table="people", dataset="e8", bogus=1), 400, "invalid_parameter"),
            (dict(secret_ref="missing", table="people", dataset="e9"), 400, "secret_ref_unknown"),
            (dict(dsn=self.pg.dsn, table="people", dataset="e10", batch_rows=0), 400, "invalid_parameter"),
            (dict(dsn=self.pg.dsn, table="people", dataset="e11", batch_rows=2000000), 400, "invalid_parameter"),
            (dict(dsn=self.pg.dsn, table="people", dataset="e12", batch_rows="4096"), 400, "invalid_parameter"),
        ]
        for body, status, code in cases:
            r = self.ingest(**body)
            self.assertEqual((r.status, lh.error_code(r)), (status, code), f"{body}: {r}")
            self.assertNotIn(PASSWORD, r.body.decode())
            if "dataset" in body:
                self.assertEqual(self.srv.get(f"/catalog/datasets/{body['dataset']}").status, 404)
        self.assertEqual(self.srv.get("/catalog/orphans").json()["count"], 0)


if __name__ == "__main__":
    lh.main()
