"""tests/e2e/pgserver.py — a throwaway PostgreSQL 15 server for tests.

initdb into a temporary directory and start it listening on a unix socket
in that directory only (listen_addresses=''), so tests never use a TCP port
at all. Runs the server as the `postgres` user (initdb refuses root). Stops
it by its postmaster PID. Requires Debian's `postgresql` package, which
scripts/setup.sh installs.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time

PG_BIN = os.environ.get("LH_PG_BIN", "/usr/lib/postgresql/15/bin")


def available():
    return os.path.exists(os.path.join(PG_BIN, "initdb")) and shutil.which("runuser") is not None


class PgServer:
    def __init__(self, hba_extra=""):
        self.dir = tempfile.mkdtemp(prefix="lh-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.hba_extra = hba_extra

    def _as_pg(self, *args, **kw):
        return subprocess.run(["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True, **kw)

    def start(self):
        subprocess.run(["chown", "postgres", self.dir], check=True)
        r = self._as_pg(os.path.join(PG_BIN, "initdb"), "-D", self.data, "-A", "trust")
        if r.returncode:
            raise RuntimeError("initdb failed: " + r.stderr)
        if self.hba_extra:
            hba = os.path.join(self.data, "pg_hba.conf")
            with open(hba) as f:
                old = f.read()
            with open(hba, "w") as f:
                f.write(self.hba_extra + "\n" + old)
        r = self._as_pg(os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w",
                        "-o", f"-c listen_addresses='' -k {self.dir}", "start")
        if r.returncode:
            raise RuntimeError("pg_ctl start failed: " + r.stderr + self.log())
        return self

    def log(self):
        try:
            with open(os.path.join(self.dir, "log")) as f:
                return f.read()
        except OSError:
            return ""

    @property
    def dsn(self):
        return f"host={self.dir} dbname=postgres user=postgres"

    def uri(self, user="postgres", password=None):
        cred = user + (f":{password}" if password else "")
        return f"postgresql://{cred}@/postgres?host={self.dir}"

    def psql(self, sql):
        r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.dsn, "-c", sql],
                           capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"psql failed: {r.stderr}")
        return r.stdout

    def pid(self):
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            return int(f.readline())

    def stop(self):
        try:
            pid = self.pid()
            os.kill(pid, signal.SIGQUIT)  # immediate shutdown
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
