"""End-to-end: primary keys, upserts and deletes, merge-on-read, compaction,
vacuum, the mutation journal and time travel, over HTTP against the real
binary. The random-interleaving property test is tests/unit/test_tables.c;
these check the HTTP contract, crash safety and the journal's guarantees."""
import json
import os
import signal
import threading
import time
import unittest
from urllib.parse import quote

import lh

PEOPLE = ("id,name,phone,city,years\n"
          "1,Ana,+1-312-555-0101,Chicago,5\n"
          "2,Bo,+1-312-555-0102,Denver,12\n"
          "3,Chen,+1-312-555-0103,Chicago,3\n")


class Tables(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = lh.Server(config="[tables]\nauto_compact_deltas = 0\n").start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def ingest(self, dataset, body, extra="", mode=None):
        q = f"/ingest/file?dataset={dataset}&format=csv" + (f"&mode={mode}" if mode else "") + extra
        return self.srv.request("POST", q, body=body.encode())

    def post(self, path, body=None, actor=None, **kw):
        headers = {"X-Lakehouse-Actor": actor} if actor else {}
        return self.srv.request("POST", path, body=body, headers=headers, **kw)

    def rows(self, sql, **kw):
        r = self.srv.request("POST", "/query/sql", body=dict(sql=sql, **kw))
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertNotIn("error", j)
        return j["rows"]

    def make(self, name, pk="id"):
        r = self.ingest(name, PEOPLE, extra=f"&primary_key={pk}" if pk else "")
        self.assertEqual(r.status, 201, r)

    # ---- primary keys ----

    def test_primary_key_at_ingest_and_patch(self):
        dup = PEOPLE + "2,Bo again,,Denver,1\n"
        r = self.ingest("pk_dup", dup, extra="&primary_key=id")
        self.assertEqual((r.status, lh.error_code(r)), (400, "duplicate_key"))
        self.assertIn("2", r.json()["error"]["message"])
        r = self.ingest("pk_bad", PEOPLE, extra="&primary_key=nope")
        self.assertEqual((r.status, lh.error_code(r)), (400, "unknown_column"))
        # declared later with PATCH: refused while the data holds duplicates, naming them
        self.assertEqual(self.ingest("pk_later", dup).status, 201)
        r = self.srv.request("PATCH", "/catalog/datasets/pk_later", body={"primary_key": ["id"]})
        self.assertEqual((r.status, lh.error_code(r)), (400, "duplicate_key"))
        self.assertIn("duplicated primary key value(s): 2", r.json()["error"]["message"])
        r = self.srv.request("PATCH", "/catalog/datasets/pk_later", body={"primary_key": ["id", "name"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["primary_key"], ["id", "name"])
        for bad in ({"primary_key": "id"}, {"primary_key": [1]}, {"primary_key": ["zzz"]}, {"primary_key": ["id", "id"]}):
            r = self.srv.request("PATCH", "/catalog/datasets/pk_later", body=bad)
            self.assertEqual(r.status, 400, (bad, r))
        # an append may not repeat existing keys (changing rows is upsert's job)
        self.make("pk_app")
        r = self.ingest("pk_app", "id,name,phone,city,years\n3,Chen,x,y,1\n", mode="append")
        self.assertEqual((r.status, lh.error_code(r)), (400, "duplicate_key"))
        r = self.ingest("pk_app", "id,name,phone,city,years\n4,Dee,x,y,1\n", mode="append")
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.rows("SELECT count(*) FROM pk_app"), [[4]])
        # a key deleted since the last compaction cannot come back by append (its tombstone would hide it)
        self.assertEqual(self.post("/tables/pk_app/delete", {"keys": [4]}).status, 200)
        r = self.ingest("pk_app", "id,name,phone,city,years\n4,Dee,x,y,1\n", mode="append")
        self.assertEqual((r.status, lh.error_code(r)), (400, "duplicate_key"))
        self.assertEqual(self.post("/tables/pk_app/compact").status, 200)
        r = self.ingest("pk_app", "id,name,phone,city,years\n4,Dee,x,y,1\n5,Eve,x,y,2\n", mode="append")
        self.assertEqual((r.status, r.json()["row_count"]), (201, 5), r)
        self.assertEqual(self.post("/tables/pk_app/upsert", [{"id": 5, "years": 9}]).status, 200)
        r = self.ingest("pk_app", "id,name,phone,city,years\n6,Fay,x,y,3\n", mode="append")
        self.assertEqual((r.status, r.json()["row_count"]), (201, 6), r)  # merged count across deltas
        self.assertEqual(self.rows("SELECT id, years FROM pk_app WHERE id >= 4 ORDER BY id"), [[4, 1], [5, 9], [6, 3]])

    def test_append_after_delete_and_upsert_of_another_key(self):
        # delete k, upsert k again: k is current and has a tombstone; appends
        # of other keys must not trip over it (they once did until compaction)
        self.make("pk_redo")
        self.assertEqual(self.post("/tables/pk_redo/delete", {"keys": [2]}).status, 200)
        self.assertEqual(self.post("/tables/pk_redo/upsert", [{"id": 2, "name": "Bo", "years": 13}]).status, 200)
        for body, total in (("7,Gil,x,y,1\n", 4), ("8,Hal,x,y,2\n9,Ivy,x,y,3\n", 6)):
            r = self.ingest("pk_redo", "id,name,phone,city,years\n" + body, mode="append")
            self.assertEqual((r.status, r.json()["row_count"]), (201, total), r)
        # a key the dataset holds is still refused, named, and nothing changes
        for key in (2, 3, 8):
            r = self.ingest("pk_redo", f"id,name,phone,city,years\n10,Jo,x,y,1\n{key},Dup,x,y,1\n", mode="append")
            self.assertEqual((r.status, lh.error_code(r)), (400, "duplicate_key"), (key, r))
            self.assertIn(f": {key};", r.json()["error"]["message"])
        # a deleted key is refused (its tombstone would hide the row), pointing at upsert
        self.assertEqual(self.post("/tables/pk_redo/delete", {"keys": [9]}).status, 200)
        r = self.ingest("pk_redo", "id,name,phone,city,years\n9,Ivy,x,y,3\n", mode="append")
        self.assertEqual((r.status, lh.error_code(r)), (400, "duplicate_key"), r)
        self.assertIn("deleted", r.json()["error"]["message"])
        self.assertEqual(self.rows("SELECT id, years FROM pk_redo ORDER BY id"),
                         [[1, 5], [2, 13], [3, 3], [7, 1], [8, 2]])

    # ---- upserts and deletes ----

    def test_upsert_delete_merge_on_read(self):
        self.make("staff")
        r = self.post("/tables/staff/upsert", [{"id": 2, "phone": "+1-720-555-0199"}, {"id": 4, "name": "Dee", "years": 1}],
                      actor="alice")
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertEqual((j["version"], j["inserted"], j["updated"], j["row_count"], j["deltas"]), (2, 1, 1, 4, 1))
        self.assertTrue(j["delta"]["key"].startswith("datasets/staff/delta/000000000002-"))
        # partial upsert: the columns left out keep their values
        self.assertEqual(self.rows("SELECT id, name, phone, city, years FROM staff ORDER BY id"),
                         [[1, "Ana", "+1-312-555-0101", "Chicago", 5], [2, "Bo", "+1-720-555-0199", "Denver", 12],
                          [3, "Chen", "+1-312-555-0103", "Chicago", 3], [4, "Dee", None, None, 1]])
        r = self.post("/tables/staff/delete", {"keys": [1, 99]})
        self.assertEqual((r.status, r.json()["deleted"], r.json()["missing"]), (200, 1, 1), r)
        r = self.post("/tables/staff/delete", {"where": "city = 'Chicago' OR years < 2"})
        self.assertEqual((r.status, r.json()["deleted"]), (200, 2), r)
        self.assertEqual(self.rows("SELECT id FROM staff ORDER BY id"), [[2]])
        # a deleted key comes back with an upsert
        r = self.post("/tables/staff/upsert", {"rows": [{"id": 3, "name": "Chen", "city": "Austin"}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.rows("SELECT id, name, city, years FROM staff ORDER BY id"),
                         [[2, "Bo", "Denver", 12], [3, "Chen", "Austin", None]])
        d = self.srv.get("/catalog/datasets/staff").json()
        self.assertEqual((d["row_count"], d["version"]), (2, 5))
        self.assertEqual(sum(1 for f in d["files"] if f.get("kind") == "delta"), 4)

    def test_upsert_from_file(self):
        self.make("filed")
        body = "id,name,phone,city,years\n3,Chen,+1-000,Boston,4\n5,Eve,+1-111,Miami,2\n"
        r = self.srv.request("POST", "/tables/filed/upsert?format=csv", body=body.encode())
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["inserted"], r.json()["updated"]), (1, 1))
        self.assertEqual(self.rows("SELECT id, city FROM filed ORDER BY id"),
                         [[1, "Chicago"], [2, "Denver"], [3, "Boston"], [5, "Miami"]])
        r = self.srv.request("POST", "/tables/filed/upsert?format=csv", body=b"id,other\n1,2\n")
        self.assertEqual((r.status, lh.error_code(r)), (400, "schema_mismatch"), r)

    def test_bad_input_is_4xx_and_changes_nothing(self):
        self.make("guarded")
        self.assertEqual(self.ingest("nokey", PEOPLE).status, 201)
        cases = [
            ("/tables/nope/upsert", [{"id": 1}], 404, "dataset_not_found"),
            ("/tables/nokey/upsert", [{"id": 1}], 400, "no_primary_key"),
            ("/tables/guarded/upsert", [{"id": 1, "years": "many"}], 400, "type_mismatch"),
            ("/tables/guarded/upsert", [{"id": 1, "salary": 5}], 400, "unknown_column"),
            ("/tables/guarded/upsert", [{"name": "no key"}], 400, "missing_key"),
            ("/tables/guarded/upsert", [], 400, "invalid_rows"),
            ("/tables/guarded/upsert", {"rows": [1, 2]}, 400, "invalid_rows"),
            ("/tables/guarded/upsert", b"", 400, "empty_body"),
            ("/tables/guarded/upsert", b"[{\"id\": 1,", 400, "invalid_json"),
            ("/tables/guarded/delete", b"", 400, "empty_body"),
            ("/tables/guarded/delete", {}, 400, "invalid_delete"),
            ("/tables/guarded/delete", {"keys": [1], "where": "true"}, 400, "invalid_delete"),
            ("/tables/guarded/delete", {"keys": ["x"]}, 400, "type_mismatch"),
            ("/tables/guarded/delete", {"where": 5}, 400, "invalid_predicate"),
            ("/tables/guarded/delete", {"where": "DROP TABLE guarded"}, 400, "invalid_predicate"),
            ("/tables/guarded/delete", {"where": "true; DROP TABLE guarded"}, 400, "invalid_predicate"),
            ("/tables/guarded/delete", {"where": "true) UNION SELECT '1' FROM (SELECT 1"}, 400, "invalid_predicate"),
            ("/tables/guarded/delete", {"where": "id IN (SELECT 1 FROM read_csv('/etc/passwd'))"}, 400,
             "invalid_predicate"),
            ("/tables/guarded/delete", {"where": "count(*) > 1"}, 400, "invalid_predicate"),
            ("/tables/Bad-Name/upsert", [{"id": 1}], 400, "invalid_dataset_name"),
            ("/tables/..%2F..%2Fetc/upsert", [{"id": 1}], 404, "route_not_found"),
        ]
        for path, body, status, code in cases:
            r = self.srv.request("POST", path, body=body)
            self.assertEqual((r.status, lh.error_code(r)), (status, code), (path, body, r))
        self.assertEqual(self.srv.get("/catalog/datasets/guarded").json()["version"], 1)
        self.assertEqual(self.rows("SELECT count(*) FROM guarded"), [[3]])

    def test_single_writer_conflicts_never_lose_updates(self):
        self.make("race")
        results = []

        def writer(i):
            r = self.post("/tables/race/upsert", [{"id": 1000 + i, "name": f"w{i}"}])
            results.append((i, r.status, r.json()))

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ok = sorted(i for i, s, _ in results if s == 200)
        for i, s, j in results:
            self.assertIn(s, (200, 409), j)
            if s == 409:
                self.assertIn(j["error"]["code"], ("write_in_progress", "concurrent_commit"))
        # every acknowledged write is visible, no refused one is
        self.assertEqual(self.rows("SELECT id - 1000 FROM race WHERE id >= 1000 ORDER BY id"), [[i] for i in ok])
        self.assertEqual(self.srv.get("/catalog/datasets/race").json()["version"], 1 + len(ok))

    # ---- compaction ----

    def test_compaction_keeps_answers_and_history(self):
        self.make("packed")
        for i in range(5):
            self.assertEqual(self.post("/tables/packed/upsert", [{"id": 10 + i, "years": i}]).status, 200)
        self.assertEqual(self.post("/tables/packed/delete", {"keys": [1]}).status, 200)
        before = self.rows("SELECT * FROM packed ORDER BY id")
        stop = threading.Event()
        seen = []

        def reader():
            while not stop.is_set():
                r = self.srv.request("POST", "/query/sql", body={"sql": "SELECT * FROM packed ORDER BY id"})
                seen.append(r.json().get("rows") if r.status == 200 else r.status)

        t = threading.Thread(target=reader)
        t.start()
        r = self.post("/tables/packed/compact")
        stop.set()
        t.join()
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertEqual((j["compacted"], j["deltas_merged"], j["rows"]), (True, 6, 7))
        self.assertGreater(j["rows_per_s"], 0)
        self.assertTrue(seen)
        for s in seen:
            self.assertEqual(s, before)  # queries during compaction stay correct
        self.assertEqual(self.rows("SELECT * FROM packed ORDER BY id"), before)
        d = self.srv.get("/catalog/datasets/packed").json()
        self.assertEqual(([f.get("kind") for f in d["files"]], d["row_count"]), ([None], 7))
        # old versions keep their files until vacuum
        self.assertEqual(self.rows("SELECT count(*) FROM packed", as_of_version=2), [[4]])
        r = self.post("/tables/packed/vacuum")
        self.assertEqual((r.status, r.json()["deleted_count"]), (200, 0), r)
        r = self.post("/tables/packed/vacuum?retention_hours=0")
        self.assertEqual((r.status, r.json()["deleted_count"]), (200, 7), r)  # 1 base + 6 deltas
        self.assertEqual(self.rows("SELECT * FROM packed ORDER BY id"), before)
        r = self.srv.request("POST", "/tables/packed/vacuum?retention_hours=-1")
        self.assertEqual(r.status, 400)

    # ---- journal ----

    def test_journal_events_and_view(self):
        self.make("jr")
        self.assertEqual(self.post("/tables/jr/upsert", [{"id": 2, "phone": "+1-720-555-0000"}], actor="bob").status, 200)
        self.assertEqual(self.post("/tables/jr/upsert", [{"id": 9, "name": "Ivy"}], actor="carol").status, 200)
        self.assertEqual(self.post("/tables/jr/delete", {"keys": [3]}, actor="bob").status, 200)
        ev = self.srv.get("/journal/events?dataset=jr&field=phone").json()["events"]
        self.assertEqual([(e["op"], e["key"], e["old_value"], e["new_value"], e["actor"]) for e in ev],
                         [("update", "2", "+1-312-555-0102", "+1-720-555-0000", "bob"),
                          ("delete", "3", "+1-312-555-0103", None, "bob")])
        ev = self.srv.get("/journal/events?dataset=jr&key=9").json()["events"]
        self.assertEqual(sorted((e["op"], e["field"], e["new_value"]) for e in ev),
                         [("insert", "id", 9), ("insert", "name", "Ivy")])
        self.assertEqual({e["actor"] for e in self.srv.get("/journal/events?dataset=jr&actor=carol").json()["events"]},
                         {"carol"})
        # the ingest is one dataset-level insert event with its row count
        ins = [e for e in self.srv.get("/journal/events?dataset=jr&op=insert").json()["events"] if e["type"] == "dataset_committed"]
        self.assertEqual([e["new_value"]["rows"] for e in ins], [3])
        self.assertEqual(self.srv.get("/journal/events?dataset=jr&since=2999-01-01").json()["count"], 0)
        self.assertEqual(self.srv.get("/journal/events?since=yesterday").status, 400)
        rows = self.rows("SELECT op, \"key\", actor FROM lakehouse_journal WHERE dataset = 'jr' AND field = 'phone' "
                         "ORDER BY ts_us")
        self.assertEqual(rows, [["update", "2", "bob"], ["delete", "3", "bob"]])

    def test_journal_compaction_never_rewrites_events(self):
        self.make("jc")
        for i in range(3):
            self.assertEqual(self.post("/tables/jc/upsert", [{"id": 1, "years": 20 + i}]).status, 200)
        before = self.srv.get("/journal/events?limit=100000").json()["events"]
        r = self.post("/journal/compact")
        self.assertEqual(r.status, 200, r)
        self.assertGreaterEqual(r.json()["batches_merged"], 2)
        after = self.srv.get("/journal/events?limit=100000").json()["events"]
        self.assertEqual(after, before)
        self.assertEqual(self.rows("SELECT count(*) FROM lakehouse_journal")[0][0], len(before))

    # ---- time travel ----

    def test_time_travel_against_recorded_states(self):
        self.make("tt")
        states = []  # (time, version, rows)

        def record():
            time.sleep(0.01)
            rows = self.rows("SELECT id, name, years FROM tt ORDER BY id")
            v = self.srv.get("/catalog/datasets/tt").json()["version"]
            t = time.time()
            states.append((t, v, rows))
            time.sleep(0.01)

        record()
        self.post("/tables/tt/upsert", [{"id": 1, "years": 50}])
        record()
        self.post("/tables/tt/delete", {"where": "id = 2"})
        record()
        self.post("/tables/tt/upsert", [{"id": 7, "name": "Gus"}])
        record()
        self.post("/tables/tt/compact")
        record()
        for t, v, rows in states:
            iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)
            self.assertEqual(self.rows("SELECT id, name, years FROM tt ORDER BY id", as_of=iso), rows, iso)
            self.assertEqual(self.rows("SELECT id, name, years FROM tt ORDER BY id", as_of_version=v), rows, v)
        r = self.srv.request("POST", "/query/sql", body={"sql": "SELECT * FROM tt", "as_of": "2001-01-01T00:00:00Z"})
        self.assertEqual((r.status, lh.error_code(r)), (404, "version_not_found"))
        r = self.srv.request("POST", "/query/sql", body={"sql": "SELECT * FROM tt", "as_of_version": 999})
        self.assertEqual((r.status, lh.error_code(r)), (404, "version_not_found"))
        for bad in ({"as_of": "March"}, {"as_of": 5}, {"as_of_version": 0}, {"as_of_version": "2"},
                    {"as_of_version": 1, "as_of": "2026-01-01"}):
            r = self.srv.request("POST", "/query/sql", body=dict(sql="SELECT * FROM tt", **bad))
            self.assertEqual((r.status, lh.error_code(r)), (400, "invalid_parameter"), bad)
        # a statement that does not parse says so, as it does without time travel
        r = self.srv.request("POST", "/query/sql", body={"sql": "SELECT FROM WHERE tt", "as_of_version": 1})
        self.assertEqual((r.status, lh.error_code(r)), (400, "sql_error"), r)
        self.assertIn("syntax error", r.json()["error"]["message"])
        # one record rebuilt at each recorded time
        t1 = states[1][0]
        iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t1)) + ".%06dZ" % int((t1 % 1) * 1e6)
        j = self.srv.get(f"/journal/records/tt/1?as_of={quote(iso)}").json()
        self.assertEqual((j["exists"], j["record"]["years"], j["version"]), (True, 50, states[1][1]))
        self.assertEqual([(e["field"], e["old_value"], e["new_value"]) for e in j["history"]], [("years", 5, 50)])
        j = self.srv.get("/journal/records/tt/2").json()
        self.assertEqual((j["exists"], j["record"]), (False, None))
        j = self.srv.get(f"/journal/records/tt/2?as_of={quote(iso)}").json()
        self.assertEqual((j["exists"], j["record"]["name"]), (True, "Bo"))
        self.assertEqual(self.srv.get("/journal/records/nope/1").status, 404)
        self.assertEqual(self.srv.get("/journal/records/tt/1?as_of=soon").status, 400)


class Crash(unittest.TestCase):
    def test_kill_between_delta_and_commit_keeps_previous_version(self):
        data = None
        srv = lh.Server(env={"LH_FAULT_TABLES_CRASH": "after_delta"}).start()
        try:
            data = srv.data_dir
            self.assertEqual(srv.request("POST", "/ingest/file?dataset=cr&format=csv&primary_key=id",
                                         body=PEOPLE.encode()).status, 201)
            try:
                srv.request("POST", "/tables/cr/upsert", body=[{"id": 1, "name": "lost"}], timeout=20)
            except Exception:
                pass  # the server died mid-request, as asked
            srv.proc.wait(timeout=20)
            self.assertEqual(srv.proc.returncode, -signal.SIGKILL)
            delta_dir = os.path.join(data, "datasets/cr/delta")
            self.assertEqual(len(os.listdir(delta_dir)), 1)  # the delta was written...
        finally:
            srv.proc = None
            srv.log.close()
        again = lh.Server(data_dir=data).start()
        try:
            d = again.get("/catalog/datasets/cr").json()
            self.assertEqual(d["version"], 1)  # ...but never committed
            r = again.request("POST", "/query/sql", body={"sql": "SELECT name FROM cr WHERE id = 1"})
            self.assertEqual(r.json()["rows"], [["Ana"]])
            orphans = again.get("/catalog/orphans").json()["orphans"]
            self.assertEqual([o["key"].split("/")[2] for o in orphans], ["delta"])
            r = again.request("POST", "/tables/cr/upsert", body=[{"id": 1, "name": "Ana B."}])
            self.assertEqual((r.status, r.json()["version"]), (200, 2), r)
        finally:
            again.cleanup()
            srv.cleanup()


if __name__ == "__main__":
    lh.main()
