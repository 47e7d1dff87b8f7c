"""The set-up script: pinned artefacts are verified, a bad sum stops it, reruns are no-ops.

Fetches duckdb@1.4.4 from the npm registry (npm's cache makes reruns cheap)
into a private directory; the project's own third_party/ is not touched.
"""
import hashlib
import os
import shutil
import subprocess
import tempfile
import unittest

import lh

SETUP = os.path.join(lh.SOURCE_DIR, "scripts", "setup.sh")
HEADER_SHA = "cbe6a827284375c5a646b8f27dbd3a00808ce8738b5bbb49c190cb1e08540281"


class SetupTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lh-setup-")
        self.tp = os.path.join(self.tmp, "tp")
        os.makedirs(self.tp)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_setup(self, sha):
        pins = os.path.join(self.tmp, "pins.sh")
        with open(pins, "w") as f:
            f.write(f'LH_PINS=("duckdb@1.4.4 src/duckdb/src/include/duckdb.h $tp/duckdb/include/duckdb.h {sha}")\n')
        env = dict(os.environ, LH_THIRD_PARTY=self.tp, LH_PINS_FILE=pins)
        return subprocess.run(["bash", SETUP], capture_output=True, text=True, env=env, timeout=300)

    def test_bad_checksum_is_refused(self):
        wrong = "0" * 64
        r = self.run_setup(wrong)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("checksum mismatch", r.stderr)
        self.assertIn(wrong, r.stderr)
        self.assertIn(HEADER_SHA, r.stderr)  # what it actually got
        self.assertFalse(os.path.exists(os.path.join(self.tp, "duckdb/include/duckdb.h")))
        self.assertEqual([d for d in os.listdir(self.tp) if d.startswith(".fetch")], [])

    def test_fetch_verify_and_rerun_is_a_no_op(self):
        r = self.run_setup(HEADER_SHA)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("fetching duckdb@1.4.4", r.stdout)
        path = os.path.join(self.tp, "duckdb/include/duckdb.h")
        with open(path, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), HEADER_SHA)
        r = self.run_setup(HEADER_SHA)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("fetching", r.stdout)
        # a tampered file is replaced by a verified one
        with open(path, "ab") as f:
            f.write(b"tampered")
        r = self.run_setup(HEADER_SHA)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("fetching", r.stdout)
        with open(path, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), HEADER_SHA)


if __name__ == "__main__":
    lh.main()
