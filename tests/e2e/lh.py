"""tests/e2e/lh.py — start a real `lakehouse serve` and talk to it over HTTP.

Each Server gets its own temporary data directory and an ephemeral loopback
port: the binary is started with --port 0 and we read the port it bound from
its "listening on" line, so tests never race for a port or use a fixed one.
Only the Python standard library is used.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

BINARY = os.environ.get("LH_BINARY", os.path.join(os.path.dirname(__file__), "../../build/lakehouse"))
SOURCE_DIR = os.environ.get("LH_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))


def run_cli(*args, env=None, cwd=None, timeout=60):
    """Run the binary to completion; returns CompletedProcess with text output."""
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([BINARY, *args], capture_output=True, text=True, env=e, cwd=cwd, timeout=timeout)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.body[:300]!r}>"


# LH_E2E_S3="ENDPOINT ACCESS_KEY SECRET_KEY" runs every Server with its
# primary bucket on that S3 server instead of a local directory (test_s3.py
# sets it to rerun the core-loop tests unchanged on Ceph RGW). The bucket is
# named after the data directory, so a restart with the same data_dir finds
# the same bucket; local files stay in the data directory only as the cache.
S3_PRIMARY = os.environ.get("LH_E2E_S3", "").split()


def aws(*args, check=True, capture=True):
    """Debian's awscli against the S3_PRIMARY server."""
    endpoint, key, secret = S3_PRIMARY
    env = dict(os.environ, AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
               AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-east-1")
    return subprocess.run(["/usr/bin/aws", "--endpoint-url", endpoint, *args], env=env, check=check,
                          capture_output=capture, text=True, timeout=300)


def s3_bucket_for(data_dir):
    import hashlib
    return "lh-" + hashlib.sha1(os.path.abspath(data_dir).encode()).hexdigest()[:20]


class Server:
    """A lakehouse server process on a free port with a private data dir."""

    def __init__(self, config=None, extra_args=(), env=None, data_dir=None, workdir=None):
        self.tmp = tempfile.mkdtemp(prefix="lh-e2e-")
        self.workdir = workdir or self.tmp
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.config_path = None
        if S3_PRIMARY and (config is None or "[buckets.primary]" not in config):
            self.s3_bucket = s3_bucket_for(self.data_dir)
            aws("s3api", "create-bucket", "--bucket", self.s3_bucket, check=False)
            secrets = os.path.join(self.tmp, "secrets.toml")
            with open(secrets, "w") as f:
                f.write(f'[e2e]\naccess_key_id = "{S3_PRIMARY[1]}"\nsecret_access_key = "{S3_PRIMARY[2]}"\n')
            os.chmod(secrets, 0o600)
            config = (config or "") + (
                f'\n[buckets.primary]\nbackend = "s3"\nendpoint = "{S3_PRIMARY[0]}"\nbucket = "{self.s3_bucket}"\n'
                f'addressing = "path"\nsecret_ref = "e2e"\n')
            if "[storage]" in config:
                config = config.replace("[storage]", f'[storage]\nsecrets_file = "{secrets}"\n'
                                        f'cache_dir = "{self.data_dir}/s3-cache"', 1)
            else:
                config = f'[storage]\nsecrets_file = "{secrets}"\ncache_dir = "{self.data_dir}/s3-cache"\n' + config
        self.primary_on_s3 = config is not None and '[buckets.primary]\nbackend = "s3"' in config
        if config is not None:
            self.config_path = os.path.join(self.tmp, "lakehouse.toml")
            with open(self.config_path, "w") as f:
                f.write(config)
        self.extra_args = list(extra_args)
        self.env = env or {}
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.tmp, "server.log")

    def start(self, timeout=30):
        args = [BINARY, "serve", "--host", "127.0.0.1", "--port", "0"]
        if not getattr(self, "s3_bucket", None) and not self.primary_on_s3:
            args += ["--data-dir", self.data_dir]
        if self.config_path:
            args += ["--config", self.config_path]
        args += self.extra_args
        e = dict(os.environ)
        e.update(self.env)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True, env=e,
                                     cwd=self.workdir)
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if "listening on http://" in line:
                self.port = int(line.strip().rsplit(":", 1)[1])
                return self
        self.proc.kill()
        self.proc.wait()
        raise RuntimeError(f"server did not start; log:\n{self.read_log()}")

    def read_log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def request(self, method, path, body=None, headers=None, timeout=60):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            hdrs = dict(headers or {})
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                hdrs.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, r.getheaders(), data)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def raw(self, data, timeout=10):
        """Send raw bytes and return the raw response (for requests a client library would fix up)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(data)
            chunks = []
            while True:
                try:
                    c = s.recv(65536)
                except (ConnectionResetError, socket.timeout):
                    break
                if not c:
                    break
                chunks.append(c)
                if b"\r\n\r\n" in b"".join(chunks) and s.gettimeout():
                    s.settimeout(1.0)
            return b"".join(chunks)
        finally:
            s.close()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        self.log.close()
        self.proc.stdout.close()
        rc = self.proc.returncode
        self.proc = None
        return rc

    SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

    def cleanup(self):
        if self.proc:
            self.stop()
        log = self.read_log()
        shutil.rmtree(self.tmp, ignore_errors=True)
        # In the ASan+UBSan build a server-side report must fail the test even
        # when the request that caused it looked fine to the client.
        for mark in self.SANITIZER_MARKS:
            if mark in log:
                i = log.index(mark)
                raise AssertionError("sanitizer report in the server log:\n" + log[max(0, i - 200):i + 3000])

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


def wait_job(srv, resp, timeout=300):
    """Follow the job a 202 response started until it ends; its status."""
    assert resp.status == 202, resp
    url = resp.json()["status_url"]
    deadline = time.time() + timeout
    while time.time() < deadline:
        j = srv.get(url).json()
        if j["state"] in ("succeeded", "failed"):
            return j
        time.sleep(0.1)
    raise AssertionError(f"job {url} did not finish within {timeout} s")


def error_code(resp):
    """The stable error code from a JSON error body."""
    return resp.json()["error"]["code"]


def main():
    """Run the calling module's tests; print the summary line CTest shows."""
    if not os.path.exists(BINARY):
        print(f"FAIL: the lakehouse binary is not at {BINARY} (set LH_BINARY)")
        sys.exit(1)
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    failed = len(r.failures) + len(r.errors)
    print(f"{r.testsRun - failed - len(r.skipped)} passed, {failed} failed, {len(r.skipped)} skipped")
    sys.exit(1 if failed else 0)
