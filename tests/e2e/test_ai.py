"""End-to-end: embedding over HTTP — /ai/embed, profiles, cache, Ollama's /api/embed and /api/tags.

The built-in model comes from scripts/setup.sh (third_party/use-lite beside
the build); the reference vectors from ../shared/reference/use-lite are
optional (that one test is skipped without them).
"""
import json
import math
import os
import socket
import tempfile
import unittest

import lh

SHARED = os.environ.get("LH_SHARED_DIR", os.path.join(lh.SOURCE_DIR, "..", "shared"))
REF = os.path.join(SHARED, "reference", "use-lite", "reference_vectors.json")


def norm(v):
    return math.sqrt(sum(x * x for x in v))


def max_diff(a, b):
    return max(abs(x - y) for x, y in zip(a, b))


class AiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = lh.Server(config="[ai]\nmax_texts = 50\nmax_text_bytes = 100000\ncache_entries = 100\n").start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def embed(self, texts, **extra):
        body = {"texts": texts}
        body.update(extra)
        return self.srv.request("POST", "/ai/embed", body)

    @unittest.skipUnless(os.path.exists(REF), f"{REF} is absent")
    def test_matches_reference_vectors(self):
        with open(REF) as f:
            ref = json.load(f)
        r = self.embed(ref["sents"])
        self.assertEqual(r.status, 200, r)
        got = r.json()
        self.assertEqual((got["model"], got["version"], got["dimensions"]), ("use-lite", "0.2.0", 512))
        for v, want in zip(got["embeddings"], ref["emb"]):
            self.assertLessEqual(max_diff(v, want), 1e-5)

    def test_empty_text_has_its_own_vector(self):
        r = self.embed(["", "lorem ipsum", ""])
        self.assertEqual(r.status, 200, r)
        e = r.json()["embeddings"]
        self.assertEqual(len(e), 3)
        self.assertAlmostEqual(norm(e[0]), 1.0, places=5)
        self.assertEqual(e[0], e[2])
        self.assertGreater(max_diff(e[0], e[1]), 1e-3)
        alone = self.embed([""]).json()["embeddings"][0]
        self.assertLessEqual(max_diff(alone, e[0]), 1e-6)

    def test_long_text_is_truncated_not_refused(self):
        base = " ".join(["candidate", "welding", "Chicago", "forklift"] * 2000)  # ~70 KB
        a, b = base + " ending one", base + " a completely different ending"
        r = self.embed([a, b, "short"])
        self.assertEqual(r.status, 200, r)
        e = r.json()["embeddings"]
        self.assertLessEqual(max_diff(e[0], e[1]), 1e-6)  # only the first 128 tokens count
        self.assertGreater(max_diff(e[0], e[2]), 1e-3)

    def test_text_over_the_byte_limit_is_413(self):
        r = self.embed(["x" * 100001])
        self.assertEqual(r.status, 413, r)
        self.assertEqual(lh.error_code(r), "text_too_long")
        self.assertIn("ai.max_text_bytes", r.json()["error"]["message"])

    def test_text_count_limit(self):
        self.assertEqual(self.embed([f"text {i}" for i in range(50)]).status, 200)
        for n in (51, 10000):
            r = self.embed([f"text {i}" for i in range(n)])
            self.assertEqual(r.status, 413, r)
            self.assertEqual(lh.error_code(r), "too_many_texts")
            self.assertIn("ai.max_texts", r.json()["error"]["message"])

    def test_invalid_utf8_is_400(self):
        for raw in (b'{"texts":["ok","bad \xff byte"]}', b'{"texts":["\\ud800 lone surrogate"]}',
                    b'{"texts":["\xc0\xaf overlong"]}'):
            r = self.srv.request("POST", "/ai/embed", raw, headers={"Content-Type": "application/json"})
            self.assertEqual(r.status, 400, (raw, r))
            self.assertEqual(lh.error_code(r), "invalid_json")
        self.assertEqual(self.embed(["still fine"]).status, 200)

    def test_bad_requests(self):
        cases = [
            ({}, 400, "invalid_parameter"),
            ({"texts": "one string is fine"}, 200, None),
            ({"texts": [1, 2]}, 400, "invalid_parameter"),
            ({"texts": [["nested"]]}, 400, "invalid_parameter"),
            ({"texts": {"a": 1}}, 400, "invalid_parameter"),
            ({"texts": ["a"], "profile": 5}, 400, "invalid_parameter"),
            ({"texts": ["a"], "extra": True}, 400, "invalid_parameter"),
            ({"texts": ["a"], "profile": "nomic-embed-text"}, 404, "profile_not_found"),
            ({"texts": ["a"], "profile": "../builtin"}, 404, "profile_not_found"),
        ]
        for body, status, code in cases:
            r = self.srv.request("POST", "/ai/embed", body)
            self.assertEqual(r.status, status, (body, r))
            if code:
                self.assertEqual(lh.error_code(r), code, body)
        r = self.srv.request("POST", "/ai/embed", b"[1,2", headers={"Content-Type": "application/json"})
        self.assertEqual((r.status, lh.error_code(r)), (400, "invalid_json"))
        r = self.embed([])
        self.assertEqual((r.status, r.json()["count"], r.json()["embeddings"]), (200, 0, []))

    def test_profiles(self):
        r = self.srv.get("/ai/profiles")
        self.assertEqual(r.status, 200)
        p = r.json()["profiles"]
        self.assertEqual([(x["name"], x["provider"], x["model"], x["version"], x["dimensions"], x["ready"])
                          for x in p], [("builtin", "builtin", "use-lite", "0.2.0", 512, True)])
        r = self.embed(["named profile"], profile="builtin")
        self.assertEqual((r.status, r.json()["profile"]), (200, "builtin"))

    def test_cache_counts_hits(self):
        before = self.srv.get("/ai/cache/stats").json()
        text = "cache me: registered nurse, night shifts"
        v1 = self.embed([text]).json()["embeddings"][0]
        v2 = self.embed([text, text]).json()["embeddings"]
        after = self.srv.get("/ai/cache/stats").json()
        self.assertEqual(v1, v2[0])
        self.assertEqual(v1, v2[1])
        self.assertGreaterEqual(after["hits"] - before["hits"], 2)
        self.assertGreaterEqual(after["misses"] - before["misses"], 1)
        self.assertLessEqual(after["entries"], after["capacity"])
        self.assertEqual(after["capacity"], 100)

    def test_ollama_api_embed_and_tags(self):
        r = self.srv.request("POST", "/api/embed", {"model": "use-lite", "input": "lorem ipsum"})
        self.assertEqual(r.status, 200, r)
        o = r.json()
        self.assertEqual(o["model"], "use-lite")
        self.assertEqual(len(o["embeddings"]), 1)
        ours = self.embed(["lorem ipsum"]).json()["embeddings"][0]
        self.assertEqual(o["embeddings"][0], ours)
        self.assertIsInstance(o["total_duration"], int)
        r = self.srv.request("POST", "/api/embed", {"model": "use-lite:0.2.0", "input": ["a", "b"]})
        self.assertEqual((r.status, len(r.json()["embeddings"])), (200, 2))
        # Ollama's error shape: {"error": "text"}
        r = self.srv.request("POST", "/api/embed", {"model": "nomic-embed-text", "input": "x"})
        self.assertEqual(r.status, 404)
        self.assertIsInstance(r.json()["error"], str)
        r = self.srv.request("POST", "/api/embed", {"input": "x"})
        self.assertEqual(r.status, 400)
        self.assertIsInstance(r.json()["error"], str)
        r = self.srv.request("POST", "/api/embed", b"{nope", headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        self.assertIsInstance(r.json()["error"], str)
        tags = self.srv.get("/api/tags").json()["models"]
        self.assertEqual([m["name"] for m in tags], ["use-lite:latest", "use-lite:0.2.0"])
        self.assertEqual(tags[0]["details"]["quantization_level"], "F32")


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class OllamaProviderTest(unittest.TestCase):
    """The ollama provider against a second lakehouse serving Ollama's /api/embed: real protocol, real vectors."""

    @classmethod
    def setUpClass(cls):
        cls.remote = lh.Server().start()
        ep = f"http://127.0.0.1:{cls.remote.port}"
        cfg = f"""
[ai.profiles.remote]
provider = "ollama"
model = "use-lite"
dimensions = 512
endpoint = "{ep}"
timeout_ms = 10000
retries = 1

[ai.profiles.wrongdims]
provider = "ollama"
model = "use-lite"
dimensions = 768
endpoint = "{ep}"

[ai.profiles.nomodel]
provider = "ollama"
model = "nomic-embed-text"
dimensions = 768
endpoint = "{ep}/"

[ai.profiles.down]
provider = "ollama"
model = "use-lite"
dimensions = 512
endpoint = "http://127.0.0.1:{closed_port()}"
timeout_ms = 2000
retries = 1
"""
        cls.srv = lh.Server(config=cfg).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        cls.remote.cleanup()

    def test_remote_vectors_equal_builtin(self):
        texts = ["registered nurse, Chicago", "", "forklift operator with OSHA training"]
        r = self.srv.request("POST", "/ai/embed", {"texts": texts, "profile": "remote"})
        self.assertEqual(r.status, 200, r)
        got = r.json()
        self.assertEqual((got["profile"], got["provider"], got["dimensions"]), ("remote", "ollama", 512))
        local = self.srv.request("POST", "/ai/embed", {"texts": texts}).json()["embeddings"]
        self.assertEqual(got["embeddings"], local)  # %.9g round-trips floats exactly

    def test_profiles_report_readiness(self):
        p = {x["name"]: x for x in self.srv.get("/ai/profiles").json()["profiles"]}
        self.assertEqual(list(p), ["builtin", "remote", "wrongdims", "nomodel", "down"])
        self.assertTrue(p["remote"]["ready"])
        self.assertEqual(p["remote"]["endpoint"], f"http://127.0.0.1:{self.remote.port}")
        self.assertFalse(p["nomodel"]["ready"])
        self.assertEqual(p["nomodel"]["error"]["code"], "ollama_model_missing")
        self.assertFalse(p["down"]["ready"])
        self.assertEqual(p["down"]["error"]["code"], "ollama_unreachable")

    def test_failures_are_clear_and_return_nothing(self):
        r = self.srv.request("POST", "/ai/embed", {"texts": ["x"], "profile": "wrongdims"})
        self.assertEqual((r.status, lh.error_code(r)), (503, "dimension_mismatch"), r)
        self.assertIn("ai.profiles.wrongdims.dimensions", r.json()["error"]["message"])
        r = self.srv.request("POST", "/ai/embed", {"texts": ["x"], "profile": "nomodel"})
        self.assertEqual((r.status, lh.error_code(r)), (503, "ollama_error"), r)
        self.assertIn("nomic-embed-text", r.json()["error"]["message"])
        r = self.srv.request("POST", "/ai/embed", {"texts": ["x"], "profile": "down"})
        self.assertEqual((r.status, lh.error_code(r)), (503, "ollama_unreachable"), r)
        self.assertIn("ai.profiles.down.endpoint", r.json()["error"]["message"])
        self.assertNotIn("embeddings", r.json())
        # nothing half-cached: the remote profile still works and the failed texts were not stored
        stats = self.srv.get("/ai/cache/stats").json()
        self.assertLessEqual(stats["entries"], stats["capacity"])
        self.assertEqual(self.srv.request("POST", "/ai/embed", {"texts": ["x"], "profile": "remote"}).status, 200)

    def test_bad_profile_config_stops_the_server(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "lakehouse.toml")
            for body, needle in (
                    ('[ai.profiles.x]\nprovider = "ollama"\nmodel = "m"\n', "needs dimensions"),
                    ('[ai.profiles.x]\nprovider = "openai"\n', "provider must be"),
                    ('[ai.profiles.x]\nprovider = "builtin"\ndimensions = 768\n', "512-d"),
                    ('[ai.profiles.builtin]\nprovider = "builtin"\n', "cannot be redefined"),
                    ('[ai.profiles.x]\nprovider = "ollama"\nmodel = "m"\ndimensions = 8\nendpoint = "ftp://h"\n',
                     "http://"),
                    ('[ai.profiles.x]\nprovider = "builtin"\ncolour = 1\n', "unknown key")):
                with open(path, "w") as f:
                    f.write(body)
                r = lh.run_cli("config", "check", "--config", path)
                self.assertEqual(r.returncode, 3, (body, r.stdout, r.stderr))
                self.assertIn(needle, r.stderr, body)


class MissingModelTest(unittest.TestCase):
    def test_server_starts_and_says_why(self):
        with lh.Server(config='[ai]\nmodel_dir = "/nonexistent/use-lite"\n') as srv:
            self.assertEqual(srv.get("/health").status, 200)
            r = srv.request("POST", "/ai/embed", {"texts": ["hello"]})
            self.assertEqual(r.status, 503, r)
            self.assertEqual(lh.error_code(r), "model_missing")
            msg = r.json()["error"]["message"]
            self.assertIn("scripts/setup.sh", msg)
            self.assertIn("ai.model_dir", msg)
            p = srv.get("/ai/profiles").json()["profiles"][0]
            self.assertFalse(p["ready"])
            self.assertEqual(p["error"]["code"], "model_missing")
            self.assertEqual(srv.get("/api/tags").json(), {"models": []})
            r = srv.request("POST", "/api/embed", {"model": "use-lite", "input": "x"})
            self.assertEqual(r.status, 503)
            self.assertIn("scripts/setup.sh", r.json()["error"])


if __name__ == "__main__":
    lh.main()
