"""End-to-end: semantic search over a dataset's text with the built-in model —
a text index built as a job, search by query text with rows joined back and
SQL filters, re-runs that embed only changed documents, an unreachable
Ollama profile that changes nothing, and `lakehouse search`."""
import csv
import http.server
import io
import json
import os
import socket
import threading
import unittest

import lh

MODEL = os.path.join(lh.SOURCE_DIR, "third_party", "use-lite", "model.json")

TOPICS = {
    "nurse": "Registered nurse with years in the intensive care unit of a busy hospital, caring for patients, "
             "administering medication and monitoring vital signs on night shifts.",
    "forklift": "Forklift operator in a large warehouse: loading trucks, moving pallets, inventory counts and "
                "shipping docks, certified for reach trucks and safety inspections.",
    "java": "Backend software engineer writing Java and Kotlin services, designing REST APIs, tuning SQL "
            "databases and running microservices on Kubernetes.",
    "accountant": "Staff accountant preparing monthly financial statements, reconciling ledgers, payroll and "
                  "accounts payable, tax filings and audits for a manufacturing firm.",
}
CITIES = ["Chicago", "Denver", "Austin"]


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def people(n, changed=None):
    rows = []
    kinds = list(TOPICS)
    for i in range(n):
        kind = kinds[i % len(kinds)]
        text = f"Candidate {i}. " + TOPICS[kind]
        if changed and i in changed:
            text = changed[i]
        rows.append({"id": i, "name": f"Person {i}", "city": CITIES[i % 3], "kind": kind, "resume_text": text})
    return rows


def to_csv(rows):
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    return out.getvalue().encode()


class ChatPeer:
    """Speaks Ollama's POST /api/chat (non-streamed) for the answer-generation
    path, recording the requests; no real Ollama exists on these machines."""

    def __init__(self):
        peer = self
        self.requests = []

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                peer.requests.append((self.path, body))
                out = json.dumps({"model": body.get("model"), "done": True,
                                  "message": {"role": "assistant", "content": "Candidates 0 and 4 are nurses [1]."}})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out.encode())

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@unittest.skipUnless(os.path.exists(MODEL), f"the built-in model is not installed ({MODEL}); run scripts/setup.sh")
class TextSearch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.chat = ChatPeer()
        cfg = f"""
[ai]
generate_model = "llama3.2"
generate_endpoint = "http://127.0.0.1:{cls.chat.port}"
generate_timeout_ms = 2000

[ai.profiles.down]
provider = "ollama"
model = "nomic-embed-text"
dimensions = 768
endpoint = "http://127.0.0.1:{closed_port()}"
timeout_ms = 1000
retries = 1
"""
        cls.srv = lh.Server(config=cfg).start()
        cls.rows = people(40)
        r = cls.srv.request("POST", "/ingest/file?dataset=cands&format=csv", body=to_csv(cls.rows))
        assert r.status == 201, r
        job = lh.wait_job(cls.srv, cls.srv.request("POST", "/vectors/indexes", body={
            "name": "resumes", "dataset": "cands", "id_column": "id", "text_columns": ["resume_text", "name"],
            "chunking": {"size": 24, "overlap": 4}}))
        assert job["state"] == "succeeded", job
        cls.first = job["result"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        cls.chat.stop()

    def search(self, **body):
        return self.srv.request("POST", "/vectors/indexes/resumes/search", body=body)

    def kind_of(self, hit):
        return hit["row"]["kind"]

    def test_index_document_records_the_model(self):
        d = self.srv.get("/vectors/indexes/resumes").json()
        self.assertEqual((d["source"], d["dimensions"], d["model"]), ("text", 512, {"name": "use-lite", "version": "0.2.0"}))
        self.assertEqual(d["text_columns"], ["resume_text", "name"])
        self.assertEqual(d["chunking"], {"size": 24, "overlap": 4})
        emb = self.first["embedding"]
        self.assertEqual((emb["documents"], emb["embedded_documents"], emb["reused_documents"]), (40, 40, 0))
        self.assertGreater(emb["chunks"], 40)  # résumés longer than 24 words split

    def test_search_by_meaning_joins_rows(self):
        for query, kind in [("ICU nurse caring for patients in hospital", "nurse"),
                            ("warehouse pallets and loading trucks", "forklift"),
                            ("Java microservices developer", "java"),
                            ("bookkeeping, ledgers and tax audits", "accountant")]:
            r = self.search(query=query, k=5)
            self.assertEqual(r.status, 200, r)
            hits = r.json()["results"]
            self.assertEqual(len(hits), 5)
            self.assertEqual([self.kind_of(h) for h in hits[:3]], [kind] * 3, (query, hits[:3]))
            self.assertIn("chunk_text", hits[0])
            self.assertEqual(hits[0]["row"]["id"], int(hits[0]["id"]))

    def test_keyed_dataset_index_reads_merged_rows(self):
        # upsert and delete land in deltas; the text index reads the merged
        # rows: the deleted document is absent, the upserted text is used
        rows = people(8)
        r = self.srv.request("POST", "/ingest/file?dataset=kcands&format=csv&primary_key=id", body=to_csv(rows))
        self.assertEqual(r.status, 201, r)
        r = self.srv.request("POST", "/tables/kcands/upsert",
                             body=[{"id": 1, "kind": "nurse", "resume_text": "Candidate 1. " + TOPICS["nurse"]}])
        self.assertEqual(r.status, 200, r)
        r = self.srv.request("POST", "/tables/kcands/delete", body={"keys": [4]})
        self.assertEqual((r.status, r.json()["deleted"]), (200, 1), r)
        job = lh.wait_job(self.srv, self.srv.request("POST", "/vectors/indexes", body={
            "name": "kresumes", "dataset": "kcands", "id_column": "id", "text_columns": ["resume_text"]}))
        self.assertEqual(job["state"], "succeeded", job)
        self.assertEqual(job["result"]["embedding"]["documents"], 7)
        r = self.srv.request("POST", "/vectors/indexes/kresumes/search",
                             body={"query": "ICU nurse caring for patients in hospital", "k": 2})
        self.assertEqual(r.status, 200, r)
        ids = sorted({h["id"] for h in r.json()["results"]}, key=int)
        self.assertEqual(ids, ["0", "1"])  # 1 is a nurse now; 4 (a nurse) was deleted
        r = self.srv.request("POST", "/vectors/indexes/kresumes/search", body={"query": "nurse", "k": 20})
        self.assertNotIn("4", {h["id"] for h in r.json()["results"]})

    def test_filter_on_dataset_columns(self):
        r = self.search(query="nurse in a hospital", k=10, filter="city = 'Denver' AND kind <> 'java'")
        self.assertEqual(r.status, 200, r)
        hits = r.json()["results"]
        self.assertTrue(hits)
        self.assertTrue(all(h["row"]["city"] == "Denver" and h["row"]["kind"] != "java" for h in hits), hits)
        self.assertEqual(self.kind_of(hits[0]), "nurse")

    def test_bad_requests(self):
        self.assertEqual(self.search(k=3).status, 400)                                   # neither
        self.assertEqual(self.search(query="x", vector=[0.1] * 512).status, 400)          # both
        self.assertEqual(self.search(query=7).status, 400)
        r = self.search(query="x", filter="no_such_column = 1")
        self.assertEqual(r.status, 400, r)
        r = self.srv.request("POST", "/vectors/indexes", body={
            "name": "x1", "dataset": "cands", "id_column": "id", "text_columns": ["resume_text"], "profile": "nope"})
        self.assertEqual((r.status, lh.error_code(r)), (404, "profile_not_found"), r)
        r = self.srv.request("POST", "/vectors/indexes", body={
            "name": "x2", "dataset": "cands", "id_column": "id", "text_columns": ["nope"]})
        job = lh.wait_job(self.srv, r)
        self.assertEqual(job["state"], "failed")
        self.assertIn("unknown_column", str(job["error"]))
        r = self.srv.request("POST", "/vectors/indexes", body={
            "name": "x3", "dataset": "cands", "id_column": "id", "text_columns": ["resume_text"],
            "chunking": {"size": 10, "overlap": 10}})
        self.assertEqual(r.status, 400, r)
        r = self.srv.request("POST", "/vectors/indexes", body={
            "name": "x4", "dataset": "cands", "id_column": "id", "text_columns": ["resume_text"], "vector_column": "v"})
        self.assertEqual(r.status, 400, r)
        names = [i["name"] for i in self.srv.get("/vectors/indexes").json()["indexes"]]
        self.assertFalse({"x1", "x2", "x3", "x4"} & set(names), names)

    def test_z_rerun_embeds_only_changes_and_ollama_down_changes_nothing(self):
        # one document changed, three added
        rows = people(43, changed={5: "Truck driver with a commercial license hauling freight across states."})
        r = self.srv.request("POST", "/ingest/file?dataset=cands&format=csv&mode=replace", body=to_csv(rows))
        self.assertEqual(r.status, 201, r)
        job = lh.wait_job(self.srv, self.srv.request("POST", "/vectors/indexes/resumes/generations", body={}))
        self.assertEqual(job["state"], "succeeded", job)
        emb = job["result"]["embedding"]
        self.assertEqual((emb["documents"], emb["reused_documents"], emb["embedded_documents"]), (43, 39, 4))
        hits = self.search(query="long haul truck driver, commercial license", k=1).json()["results"]
        self.assertEqual(hits[0]["id"], "5")
        before = self.srv.get("/vectors/indexes/resumes").json()

        # a profile whose Ollama is down: the job fails clearly, the index is as it was
        job = lh.wait_job(self.srv, self.srv.request("POST", "/vectors/indexes/resumes/generations",
                                                  body={"profile": "down"}))
        self.assertEqual(job["state"], "failed", job)
        self.assertIn(job["error"]["status"], (502, 503, 504), job)
        after = self.srv.get("/vectors/indexes/resumes").json()
        self.assertEqual((after["active_generation"], len(after["generations"])),
                         (before["active_generation"], len(before["generations"])))
        self.assertEqual(self.search(query="truck driver", k=1).status, 200)
        r = self.srv.request("POST", "/vectors/indexes", body={
            "name": "remote_idx", "dataset": "cands", "id_column": "id", "text_columns": ["resume_text"],
            "profile": "down"})
        self.assertIn(r.status, (502, 503, 504), r)
        self.assertEqual(self.srv.get("/vectors/indexes/remote_idx").status, 404)

    def test_ask_grounded_with_citations(self):
        r = self.srv.request("POST", "/ai/ask", body={"question": "Which candidates are ICU nurses?", "index": "resumes",
                                                     "k": 4})
        self.assertEqual(r.status, 200, r)
        a = r.json()
        self.assertEqual((a["generated"], a["model"]), (True, "llama3.2"))
        self.assertEqual(a["answer"], "Candidates 0 and 4 are nurses [1].")
        self.assertEqual([p["n"] for p in a["passages"]], [1, 2, 3, 4])
        for p in a["passages"]:
            self.assertEqual(p["dataset"], "cands")
            self.assertIn("chunk_id", p)
            self.assertIn("nurse", p["text"].lower())
        path, req = self.chat.requests[-1]
        self.assertEqual((path, req["model"], req["stream"]), ("/api/chat", "llama3.2", False))
        user = req["messages"][-1]["content"]
        self.assertIn("Which candidates are ICU nurses?", user)
        self.assertIn("[1] (cands, id " + a["passages"][0]["id"] + ")", user)

    def test_ask_bad_requests(self):
        for body, status in [({"index": "resumes"}, 400), ({"question": "x"}, 400),
                             ({"question": "x", "index": "resumes", "k": 0}, 400),
                             ({"question": "x", "index": "resumes", "bogus": 1}, 400),
                             ({"question": "x", "index": "nope"}, 404),
                             ({"question": "x", "index": "resumes", "filter": "nope = 1"}, 400)]:
            r = self.srv.request("POST", "/ai/ask", body=body)
            self.assertEqual(r.status, status, (body, r))

    def test_cli_search(self):
        p = lh.run_cli("search", "resumes", "forklift and pallets in a warehouse", "--limit", "3",
                       "--server", f"http://127.0.0.1:{self.srv.port}")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.strip().splitlines()
        self.assertEqual(len(lines), 4, p.stdout)
        self.assertIn("warehouse", p.stdout.lower())
        p = lh.run_cli("search", "nope", "x", "--server", f"http://127.0.0.1:{self.srv.port}")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no vector index", p.stderr)



@unittest.skipUnless(os.path.exists(MODEL), f"the built-in model is not installed ({MODEL}); run scripts/setup.sh")
class AskWithoutGenerator(unittest.TestCase):
    def test_passages_without_a_generator_and_with_one_down(self):
        for cfg, expect in [("", "note"),
                            (f'[ai]\ngenerate_model = "llama3.2"\ngenerate_endpoint = "http://127.0.0.1:{closed_port()}"\n'
                             'generate_timeout_ms = 1000\n', "generation_error")]:
            with lh.Server(config=cfg) as srv:
                r = srv.request("POST", "/ingest/file?dataset=cands&format=csv", body=to_csv(people(8)))
                self.assertEqual(r.status, 201, r)
                job = lh.wait_job(srv, srv.request("POST", "/vectors/indexes", body={
                    "name": "r", "dataset": "cands", "id_column": "id", "text_columns": ["resume_text"]}))
                self.assertEqual(job["state"], "succeeded", job)
                r = srv.request("POST", "/ai/ask", body={"question": "who drives a forklift?", "index": "r", "k": 2})
                self.assertEqual(r.status, 200, r)
                a = r.json()
                self.assertEqual((a["answer"], a["generated"], len(a["passages"])), (None, False, 2))
                self.assertIn("forklift", a["passages"][0]["text"].lower())
                self.assertIn(expect, a)
                if expect == "note":
                    self.assertIn("ai.generate_model", a["note"])
                else:
                    self.assertEqual(a["generation_error"]["code"], "ollama_unreachable")


if __name__ == "__main__":
    lh.main()
