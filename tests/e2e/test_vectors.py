"""End-to-end: vector indexes over HTTP — create from vectors and from a
dataset column, search (graph, exact, filtered), generations and hot swap,
reload after restart, corrupt sidecar, delete, the trial system, and bad
requests. Answers are checked against a brute-force search done here."""
import glob
import json
import math
import os
import random
import threading
import unittest

import lh

DIM = 32
CITIES = ["Chicago", "Denver", "Austin", "Boston"]


def normalize(v):
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def clustered(n, dim, seed, clusters=20):
    rnd = random.Random(seed)
    centers = [[rnd.gauss(0, 1) for _ in range(dim)] for _ in range(clusters)]
    out = []
    for i in range(n):
        c = centers[rnd.randrange(clusters)]
        out.append(normalize([x + rnd.gauss(0, 0.35) for x in c]))
    return out


def brute(base, ids, q, k, allow=None):
    qn = normalize(q)
    scored = []
    for i, v in enumerate(base):
        if allow is not None and ids[i] not in allow:
            continue
        scored.append((1.0 - sum(a * b for a, b in zip(qn, v)), ids[i]))
    scored.sort()
    return [i for _, i in scored[:k]]


class Vectors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = lh.Server().start()
        cls.base = clustered(2000, DIM, 7)
        cls.ids = [f"c{i}" for i in range(len(cls.base))]
        r = cls.srv.request("POST", "/vectors/indexes",
                            body={"name": "people", "metric": "cosine", "ids": cls.ids, "vectors": cls.base,
                                  "hnsw": {"m": 12, "ef_construction": 80}, "model": {"name": "test", "version": "3"}})
        assert r.status == 201, r
        cls.created = r.json()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def search(self, index, **body):
        return self.srv.request("POST", f"/vectors/indexes/{index}/search", body=body)

    def ids_of(self, resp):
        self.assertEqual(resp.status, 200, resp)
        return [h["id"] for h in resp.json()["results"]]

    def queries(self, n, seed):
        rnd = random.Random(seed)
        return [[x + rnd.gauss(0, 0.1) for x in self.base[rnd.randrange(len(self.base))]] for _ in range(n)]

    # ---- create, describe, search ----

    def test_created_document(self):
        d = self.created
        self.assertEqual((d["name"], d["metric"], d["dimensions"], d["active_generation"]), ("people", "cosine", DIM, 1))
        self.assertEqual(d["model"], {"name": "test", "version": "3"})
        self.assertEqual(d["generations"][0]["count"], 2000)
        self.assertEqual(d["generations"][0]["params"]["m"], 12)
        self.assertIn("created_at", d)
        names = [i["name"] for i in self.srv.get("/vectors/indexes").json()["indexes"]]
        self.assertIn("people", names)
        files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(self.srv.data_dir, "_vectors/people/g000001/*")))
        self.assertEqual(files, ["embeddings.parquet", "hnsw.bin"])

    def test_search_recall_against_brute_force(self):
        hits = total = 0
        for q in self.queries(40, 1):
            got = self.ids_of(self.search("people", vector=q, k=10, ef=64))
            want = brute(self.base, self.ids, q, 10)
            hits += len(set(got) & set(want))
            total += 10
        self.assertGreaterEqual(hits / total, 0.95, f"recall@10 {hits / total}")

    def test_exact_search_equals_brute_force(self):
        for q in self.queries(5, 2):
            r = self.search("people", vector=q, k=7, exact=True)
            self.assertEqual(self.ids_of(r), brute(self.base, self.ids, q, 7))
            scores = [h["score"] for h in r.json()["results"]]
            self.assertEqual(scores, sorted(scores, reverse=True))

    def test_stored_vector_finds_itself_first(self):
        r = self.search("people", vector=self.base[123], k=3)
        res = r.json()["results"]
        self.assertEqual(res[0]["id"], "c123")
        self.assertAlmostEqual(res[0]["score"], 1.0, places=4)

    # ---- bad requests ----

    def test_bad_requests(self):
        cases = [
            ({"vector": [0.1] * (DIM - 1)}, 400, "dimension_mismatch"),
            ({"vector": [0.1] * DIM, "k": 0}, 400, "invalid_parameter"),
            ({"vector": [0.1] * DIM, "k": -3}, 400, "invalid_parameter"),
            ({"vector": ["NaN"] + [0.1] * (DIM - 1)}, 400, "invalid_vector"),
            ({"vector": [1e39] + [0.1] * (DIM - 1)}, 400, "invalid_vector"),
            ({"vector": [0.0] * DIM}, 400, "bad_vector"),
            ({"vector": []}, 400, "invalid_vector"),
            ({}, 400, "missing_parameter"),
            ({"vector": [0.1] * DIM, "bogus": 1}, 400, "invalid_parameter"),
            ({"vector": [0.1] * DIM, "filter": "years > 1"}, 400, "filter_needs_dataset"),
        ]
        for body, status, code in cases:
            r = self.search("people", **body)
            self.assertEqual((r.status, lh.error_code(r)), (status, code), (body if len(str(body)) < 200 else code, r))
        r = self.search("nope", vector=[0.1] * DIM)
        self.assertEqual((r.status, lh.error_code(r)), (404, "index_not_found"))
        r = self.srv.request("POST", "/vectors/indexes/people/search", body=b"{not json")
        self.assertEqual(r.status, 400, r)
        self.assertEqual(self.srv.get("/vectors/indexes/nope").status, 404)

    def test_bad_creates_change_nothing(self):
        before = self.srv.get("/vectors/indexes").json()["count"]
        v = [[0.1, 0.2], [0.3, 0.4]]
        cases = [
            ({"name": "people", "vectors": v}, 409, "index_exists"),
            ({"name": "../etc", "vectors": v}, 400, "invalid_index_name"),
            ({"name": "Bad Name", "vectors": v}, 400, "invalid_index_name"),
            ({"name": "dup", "vectors": v, "ids": ["a", "a"]}, 400, "duplicate_id"),
            ({"name": "ragged", "vectors": [[0.1, 0.2], [0.3]]}, 400, "dimension_mismatch"),
            ({"name": "nanv", "vectors": [[0.1, "x"]]}, 400, "invalid_vector"),
            ({"name": "few_ids", "vectors": v, "ids": ["a"]}, 400, "invalid_parameter"),
            ({"name": "metric", "vectors": v, "metric": "manhattan"}, 400, "unknown_metric"),
            ({"name": "m", "vectors": v, "hnsw": {"m": 1}}, 400, "invalid_parameter"),
            ({"name": "zero", "vectors": [[0.0, 0.0]]}, 400, "bad_vector"),
            ({"name": "empty", "vectors": []}, 400, "missing_parameter"),
            ({"vectors": v}, 400, "missing_parameter"),
            ({"name": "nods", "dataset": "no_such_dataset", "id_column": "id", "vector_column": "v"}, 404,
             "dataset_not_found"),
        ]
        for body, status, code in cases:
            r = self.srv.request("POST", "/vectors/indexes", body=body)
            self.assertEqual((r.status, lh.error_code(r)), (status, code), (body, r))
        self.assertEqual(self.srv.get("/vectors/indexes").json()["count"], before)
        self.assertFalse(os.path.exists(os.path.join(self.srv.data_dir, "_vectors/dup")))

    # ---- a dataset index with filters ----

    def test_dataset_index_and_filters(self):
        rnd = random.Random(11)
        rows, vecs = [], []
        for i in range(600):
            v = normalize([rnd.gauss(0, 1) for _ in range(DIM)])
            vecs.append(v)
            rows.append({"id": i, "city": CITIES[i % 4], "years": i % 15, "embedding": v})
        body = "\n".join(json.dumps(r) for r in rows).encode()
        r = self.srv.request("POST", "/ingest/file?dataset=candidates&format=ndjson", body=body)
        self.assertEqual(r.status, 201, r)
        r = self.srv.request("POST", "/vectors/indexes", body={"name": "cand", "dataset": "candidates",
                                                              "id_column": "id", "vector_column": "embedding"})
        job = lh.wait_job(self.srv, r)
        self.assertEqual(job["state"], "succeeded", job)
        d = self.srv.get("/vectors/indexes/cand").json()
        self.assertEqual((d["source"], d["dataset"], d["dimensions"]), ("dataset", "candidates", DIM))
        ids = [str(i) for i in range(600)]
        q = [x + rnd.gauss(0, 0.05) for x in vecs[42]]
        allow = {str(r["id"]) for r in rows if r["city"] == "Chicago" and r["years"] >= 5}
        r = self.search("cand", vector=q, k=10, filter="city = 'Chicago' AND years >= 5", exact=True)
        self.assertEqual(self.ids_of(r), brute(vecs, ids, q, 10, allow))
        self.assertEqual(r.json()["filter_matched"], len(allow))
        got = self.ids_of(self.search("cand", vector=q, k=10, ef=100, filter="city = 'Chicago' AND years >= 5"))
        self.assertTrue(set(got) <= allow, got)
        self.assertGreaterEqual(len(set(got) & set(brute(vecs, ids, q, 10, allow))), 9)
        # very selective: one row, far from the query — still found
        self.assertEqual(self.ids_of(self.search("cand", vector=q, k=5, filter="id = 599")), ["599"])
        self.assertEqual(self.ids_of(self.search("cand", vector=q, k=5, filter="id < 0")), [])
        for bad, code in [("no_such_col = 1", "sql_error"), ("1=1; DROP TABLE x", "one_statement"),
                          ("1=1) UNION SELECT 'x' --", "sql_error")]:
            r = self.search("cand", vector=q, filter=bad)
            self.assertEqual(r.status, 400, (bad, r))
        r = self.srv.request("POST", "/vectors/indexes", body={"name": "cand2", "dataset": "candidates",
                                                              "id_column": "id", "vector_column": "city"})
        job = lh.wait_job(self.srv, r)
        self.assertEqual(job["state"], "failed")
        self.assertIn("FLOAT[] or DOUBLE[]", json.dumps(job["error"]))
        self.assertEqual(self.srv.get("/vectors/indexes/cand2").status, 404)

    def test_dataset_index_reads_merged_rows(self):
        # A keyed dataset with an upsert and a delete in deltas: the index is
        # built from the rows as they are (merge-on-read), so the upserted
        # vector is the one indexed and the deleted row is not there at all.
        rnd = random.Random(13)
        vecs = [normalize([rnd.gauss(0, 1) for _ in range(DIM)]) for _ in range(50)]
        body = "\n".join(json.dumps({"id": i, "embedding": v}) for i, v in enumerate(vecs)).encode()
        r = self.srv.request("POST", "/ingest/file?dataset=keyed&format=ndjson&primary_key=id", body=body)
        self.assertEqual(r.status, 201, r)
        moved = normalize([rnd.gauss(0, 1) for _ in range(DIM)])
        r = self.srv.request("POST", "/tables/keyed/upsert", body=[{"id": 3, "embedding": moved}])
        self.assertEqual(r.status, 200, r)
        r = self.srv.request("POST", "/tables/keyed/delete", body={"keys": [5]})
        self.assertEqual((r.status, r.json()["deleted"]), (200, 1), r)
        r = self.srv.request("POST", "/vectors/indexes", body={"name": "keyed", "dataset": "keyed",
                                                              "id_column": "id", "vector_column": "embedding"})
        job = lh.wait_job(self.srv, r)
        self.assertEqual(job["state"], "succeeded", job)
        self.assertEqual(self.srv.get("/vectors/indexes/keyed").json()["generations"][0]["count"], 49)
        res = self.search("keyed", vector=moved, k=1, exact=True).json()["results"]
        self.assertEqual(res[0]["id"], "3")
        self.assertAlmostEqual(res[0]["score"], 1.0, places=4)
        # the old vector of 3 is gone: it no longer finds 3 as itself
        res = self.search("keyed", vector=vecs[3], k=1, exact=True).json()["results"]
        self.assertFalse(res[0]["id"] == "3" and res[0]["score"] > 0.999, res[0])
        got = self.ids_of(self.search("keyed", vector=vecs[5], k=60, exact=True))
        self.assertEqual(sorted(got, key=int), [str(i) for i in range(50) if i != 5])
        got = self.ids_of(self.search("keyed", vector=vecs[5], k=60, ef=100))
        self.assertNotIn("5", got)

    # ---- generations, hot swap, restart ----

    def test_generations_hot_swap_restart_and_delete(self):
        base = clustered(1500, DIM, 99)
        ids = [f"g{i}" for i in range(len(base))]
        r = self.srv.request("POST", "/vectors/indexes", body={"name": "gens", "ids": ids, "vectors": base})
        self.assertEqual(r.status, 201, r)
        q = [x + 0.01 for x in base[5]]
        first = self.ids_of(self.search("gens", vector=q, k=10, ef=50))

        stop = threading.Event()
        failures = []

        def searcher():
            while not stop.is_set():
                resp = self.search("gens", vector=q, k=10, ef=50)
                if resp.status != 200 or len(resp.json()["results"]) != 10:
                    failures.append(resp)
                    return

        threads = [threading.Thread(target=searcher) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            job = lh.wait_job(self.srv, self.srv.request("POST", "/vectors/indexes/gens/generations",
                                                      body={"hnsw": {"m": 8, "ef_construction": 40}}))
            self.assertEqual(job["state"], "succeeded", job)
            for g in (1, 2, 1, 2):
                r = self.srv.request("POST", f"/vectors/indexes/gens/activate/{g}")
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json()["active_generation"], g)
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(failures, [])
        d = self.srv.get("/vectors/indexes/gens").json()
        self.assertEqual([g["generation"] for g in d["generations"]], [1, 2])
        self.assertEqual(d["generations"][1]["params"]["m"], 8)
        self.assertEqual(self.srv.request("POST", "/vectors/indexes/gens/activate/9").status, 404)
        self.assertEqual(self.srv.request("POST", "/vectors/indexes/gens/activate/x").status, 400)
        r = self.srv.request("POST", "/vectors/indexes/gens/activate/1")
        before = self.ids_of(self.search("gens", vector=q, k=10, ef=50))
        self.assertEqual(before, first)

        # a restart reloads the index from the bucket: same answers
        self.srv.stop()
        self.srv.start()
        self.assertEqual(self.ids_of(self.search("gens", vector=q, k=10, ef=50)), before)
        stats = self.srv.get("/vectors/hnsw/cache/stats").json()
        loaded = {(x["index"], x["generation"]) for x in stats["loaded"]}
        self.assertIn(("gens", 1), loaded)
        self.assertTrue(any(x["mapped"] for x in stats["loaded"] if x["index"] == "gens"))

        # a corrupt sidecar is refused with a clear error, not a crash
        self.srv.stop()
        side = os.path.join(self.srv.data_dir, "_vectors/gens/g000001/hnsw.bin")
        with open(side, "r+b") as f:
            f.seek(os.path.getsize(side) // 2)
            f.write(b"\xff" * 64)
        self.srv.start()
        r = self.search("gens", vector=q, k=10)
        self.assertEqual(r.status, 500, r)
        self.assertEqual(lh.error_code(r), "bad_sidecar")
        self.assertIn("gens", r.json()["error"]["message"])

        # delete removes the index and its objects
        r = self.srv.request("DELETE", "/vectors/indexes/gens")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.srv.get("/vectors/indexes/gens").status, 404)
        self.assertEqual(self.search("gens", vector=q).status, 404)
        self.assertEqual(glob.glob(os.path.join(self.srv.data_dir, "_vectors/gens/*")), [])
        self.assertEqual(self.srv.request("DELETE", "/vectors/indexes/gens").status, 404)
        # the name can be used again
        r = self.srv.request("POST", "/vectors/indexes", body={"name": "gens", "vectors": [[1.0, 0.0], [0.0, 1.0]]})
        self.assertEqual(r.status, 201, r)

    # ---- the trial system ----

    def test_trials(self):
        r = self.srv.request("POST", "/vectors/hnsw/evals/people_eval/autogen",
                             body={"index": "people", "queries": 30, "k": 10, "seed": 5})
        self.assertEqual(r.status, 201, r)
        self.assertEqual((r.json()["queries_count"], r.json()["k"]), (30, 10))
        job = lh.wait_job(self.srv, self.srv.request("POST", "/vectors/hnsw/trial", body={
            "index": "people", "eval": "people_eval", "hnsw": {"m": 8, "ef_construction": 40}, "ef_search": [10, 80]}))
        self.assertEqual(job["state"], "succeeded", job)
        res = job["result"]
        self.assertEqual([p["ef_search"] for p in res["results"]], [10, 80])
        for p in res["results"]:
            self.assertTrue(0 <= p["recall_at_10"] <= 1 and p["p50_us"] <= p["p99_us"], p)
        self.assertGreaterEqual(res["results"][1]["recall_at_10"], res["results"][0]["recall_at_10"])
        self.assertGreaterEqual(res["results"][1]["recall_at_10"], 0.9)
        trials = self.srv.get("/vectors/hnsw/trials/people").json()
        self.assertGreaterEqual(trials["count"], 1)
        best = self.srv.get("/vectors/hnsw/trials/people/best?recall=0.5")
        self.assertEqual(best.status, 200, best)
        self.assertGreaterEqual(best.json()["point"]["recall_at_10"], 0.5)
        self.assertEqual(self.srv.get("/vectors/hnsw/trials/people/best?recall=2").status, 400)
        self.assertEqual(self.srv.get("/vectors/hnsw/trials/nobody/best").status, 404)
        r = self.srv.request("POST", "/vectors/hnsw/trial", body={"index": "people", "eval": "missing"})
        self.assertEqual((r.status, lh.error_code(r)), (404, "eval_not_found"))
        r = self.srv.request("POST", "/vectors/hnsw/evals/x/autogen", body={"index": "nope"})
        self.assertEqual(r.status, 404)


class FirstLoad(unittest.TestCase):
    """The first searches of a generation that is not in memory yet load it
    once: the others wait for that load and share its result, and a load
    that failed is tried again by the next search."""

    def setUp(self):
        self.srv = lh.Server().start()
        self.base = clustered(3000, DIM, 11)
        ids = [f"f{i}" for i in range(len(self.base))]
        r = self.srv.request("POST", "/vectors/indexes", body={"name": "cold", "ids": ids, "vectors": self.base})
        self.assertEqual(r.status, 201, r)

    def tearDown(self):
        self.srv.cleanup()

    def concurrent_searches(self, n):
        """n searches released together; their responses."""
        q = [x + 0.01 for x in self.base[42]]
        gate = threading.Barrier(n)
        out = [None] * n

        def one(i):
            gate.wait()
            out[i] = self.srv.request("POST", "/vectors/indexes/cold/search", body={"vector": q, "k": 5})

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out

    def test_concurrent_first_searches_load_once(self):
        self.srv.stop()
        self.srv.start()  # nothing loaded now
        self.assertEqual(self.srv.get("/vectors/hnsw/cache/stats").json()["loads"], 0)
        answers = self.concurrent_searches(8)
        for r in answers:
            self.assertEqual(r.status, 200, r)
        self.assertEqual(len({json.dumps(r.json()["results"]) for r in answers}), 1)
        self.assertEqual(len(answers[0].json()["results"]), 5)
        st = self.srv.get("/vectors/hnsw/cache/stats").json()
        self.assertEqual(st["loads"], 1, st)
        self.assertEqual(st["hits"] + st["misses"], 8, st)
        self.assertEqual([(x["index"], x["generation"]) for x in st["loaded"]], [("cold", 1)])

    def test_failed_first_load_is_shared_and_not_kept(self):
        self.srv.stop()
        side = os.path.join(self.srv.data_dir, "_vectors/cold/g000001/hnsw.bin")
        os.rename(side, side + ".away")
        self.srv.start()
        for r in self.concurrent_searches(4):
            self.assertEqual((r.status, lh.error_code(r)), (500, "sidecar_not_found"), r)
            self.assertIn("index cold", r.json()["error"]["message"])
        self.assertEqual(self.srv.get("/vectors/hnsw/cache/stats").json()["loads"], 0)
        os.rename(side + ".away", side)
        for r in self.concurrent_searches(4):
            self.assertEqual(r.status, 200, r)
        self.assertEqual(self.srv.get("/vectors/hnsw/cache/stats").json()["loads"], 1)


if __name__ == "__main__":
    lh.main()
