"""End-to-end: the command line — help, version, exit codes, configuration."""
import os
import stat
import tempfile
import unittest

import lh


def write(path, text, mode=None):
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)
    return path


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lh-cli-")
        # config check with no --config reads ./lakehouse.toml: run in an empty dir
        self.cwd = self.tmp

    def cli(self, *args, env=None):
        return lh.run_cli(*args, env=env, cwd=self.cwd)

    def test_version(self):
        r = self.cli("version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^lakehouse \d+\.\d+\.\d+ \(duckdb v1\.4\.4\)")

    def test_help_and_usage_errors(self):
        r = self.cli("help")
        self.assertEqual(r.returncode, 0)
        for word in ("serve", "config check", "version", "exit codes"):
            self.assertIn(word, r.stdout)
        self.assertEqual(self.cli().returncode, 2)
        r = self.cli("frobnicate")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown command", r.stderr)
        self.assertEqual(self.cli("serve", "--no-such-flag").returncode, 2)
        self.assertEqual(self.cli("serve", "stray-argument").returncode, 2)
        self.assertEqual(self.cli("config", "nope").returncode, 2)
        r = self.cli("sql", "SELECT 1", "--scale", "3")  # an option of another subcommand is refused, not ignored
        self.assertEqual(r.returncode, 2)
        self.assertIn("does not take --scale", r.stderr)

    def test_every_subcommand_has_help(self):
        for args in (("serve", "--help"), ("config", "check", "--help"), ("config", "defaults", "--help"),
                     ("config", "--help"), ("version", "--help")):
            r = self.cli(*args)
            self.assertEqual(r.returncode, 0, args)
            self.assertIn("usage:", r.stdout, args)

    def test_defaults_file_is_the_shipped_lakehouse_toml(self):
        r = self.cli("config", "defaults")
        self.assertEqual(r.returncode, 0)
        with open(os.path.join(lh.SOURCE_DIR, "lakehouse.toml")) as f:
            self.assertEqual(r.stdout, f.read(),
                             "lakehouse.toml is out of date: regenerate with `lakehouse config defaults`")
        # and the documented defaults load cleanly
        path = write(os.path.join(self.tmp, "d.toml"), r.stdout)
        c = self.cli("config", "check", "--config", path)
        self.assertEqual(c.returncode, 0, c.stderr)

    def test_check_shows_sources_and_precedence(self):
        path = write(os.path.join(self.tmp, "c.toml"), '[server]\nport = 4000\nthreads = 3\n')
        r = self.cli("config", "check", "--config", path, "--port", "5000",
                     env={"LAKEHOUSE_SERVER_THREADS": "5", "LAKEHOUSE_LOG_LEVEL": "debug"})
        self.assertEqual(r.returncode, 0, r.stderr)
        lines, section = {}, ""
        for l in r.stdout.splitlines():
            if l.startswith("["):
                section = l.strip("[]")
            elif "=" in l:  # keyed by section: several sections have a "threads"
                lines[section + "." + l.split("=")[0].strip()] = l
        self.assertRegex(lines["server.port"], r"port = 5000\s+# flag")
        self.assertRegex(lines["server.threads"], r"threads = 5\s+# env")
        self.assertRegex(lines["log.level"], r'level = "debug"\s+# env')
        self.assertRegex(lines["server.host"], r'host = "127.0.0.1"\s+# default')

    def test_default_config_file_in_cwd(self):
        write(os.path.join(self.tmp, "lakehouse.toml"), '[server]\nport = 4111\n')
        r = self.cli("config", "check")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("file: lakehouse.toml", r.stdout)
        self.assertRegex(r.stdout, r"port = 4111\s+# file")

    def expect_config_error(self, text, *fragments, env=None):
        path = write(os.path.join(self.tmp, "bad.toml"), text)
        r = self.cli("config", "check", "--config", path, env=env)
        self.assertEqual(r.returncode, 3, f"expected exit 3 for {text!r}: {r.stdout} {r.stderr}")
        for frag in fragments:
            self.assertIn(frag.replace("FILE", path), r.stderr)
        # serve refuses the same configuration the same way, before binding anything
        s = lh.run_cli("serve", "--config", path, "--port", "0", env=env, cwd=self.cwd)
        self.assertEqual(s.returncode, 3, s.stderr)
        return r

    def test_malformed_toml(self):
        self.expect_config_error('[server]\nport = 3100\nhost = "unterminated\n', "FILE:3:")
        self.expect_config_error('[server\n', "FILE:1:")
        self.expect_config_error('[server]\nport = 1\nport = 2\n', "FILE:3:")

    def test_unknown_keys_and_wrong_types(self):
        self.expect_config_error('[server]\nprot = 3100\n', 'FILE:2:1: unknown key "prot" in [server]',
                                 'did you mean "port"')
        self.expect_config_error('[sever]\nport = 3100\n', 'FILE:1:', 'unknown section "sever"')
        self.expect_config_error('[server]\nport = "3100"\n', "FILE:2:8: server.port must be an integer, got string")
        self.expect_config_error('[server]\nport = 70000\n', "server.port must be between 0 and 65535")
        self.expect_config_error('[log]\nlevel = "loud"\n', "log.level must be one of debug|info|warn|error")
        self.expect_config_error('[buckets.primary]\nbackend = "ftp"\n', "must be one of local|s3")
        self.expect_config_error('[buckets.x]\nbackend = "local"\nendpoint = "http://a"\n',
                                 'buckets.x.endpoint applies only to backend = "s3"')
        self.expect_config_error('[buckets.x]\nbackend = "s3"\n', 'an s3 bucket needs bucket = "NAME"')
        self.expect_config_error('[buckets.Bad]\nroot = "/tmp/x"\n', 'bucket name "Bad" is invalid')

    def test_credentials_refused_in_config(self):
        self.expect_config_error('[buckets.eu]\nbackend = "s3"\nbucket = "b"\naccess_key_id = "AKIA"\n',
                                 "credentials never live in lakehouse.toml")

    def test_rescue_bucket_must_exist(self):
        self.expect_config_error('[storage]\nrescue_bucket = "nope"\n', 'rescue_bucket names "nope"')
        self.expect_config_error('[storage]\nrescue_bucket = "primary"\n', "cannot be the primary")

    def test_bad_environment_override(self):
        r = self.cli("config", "check", env={"LAKEHOUSE_SERVER_PORT": "eighty"})
        self.assertEqual(r.returncode, 3)
        self.assertIn("LAKEHOUSE_SERVER_PORT: server.port must be an integer", r.stderr)

    def test_missing_config_file(self):
        r = self.cli("config", "check", "--config", os.path.join(self.tmp, "absent.toml"))
        self.assertEqual(r.returncode, 3)
        self.assertIn("absent.toml", r.stderr)

    def s3_config(self, secrets):
        return write(os.path.join(self.tmp, "s3.toml"),
                     f'[storage]\nsecrets_file = "{secrets}"\n\n[buckets.client_eu]\nbackend = "s3"\n'
                     'endpoint = "https://s3.eu-central-1.amazonaws.com"\nbucket = "acme-eu"\n'
                     'region = "eu-central-1"\nsecret_ref = "client_eu"\n')

    def test_secrets_are_masked(self):
        secrets = write(os.path.join(self.tmp, "secrets.toml"),
                        '[client_eu]\naccess_key_id = "AKIAEXAMPLE"\nsecret_access_key = "s3cr3t-value"\n', 0o600)
        r = self.cli("config", "check", "--config", self.s3_config(secrets))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("access_key_id = ***", r.stdout)
        self.assertIn("secret_access_key = ***", r.stdout)
        self.assertNotIn("AKIAEXAMPLE", r.stdout + r.stderr)
        self.assertNotIn("s3cr3t-value", r.stdout + r.stderr)

    def test_secrets_file_mode_enforced(self):
        secrets = write(os.path.join(self.tmp, "secrets.toml"),
                        '[client_eu]\naccess_key_id = "AKIAEXAMPLE"\nsecret_access_key = "s3cr3t-value"\n', 0o644)
        r = self.cli("config", "check", "--config", self.s3_config(secrets))
        self.assertEqual(r.returncode, 3)
        self.assertIn("chmod 600", r.stderr)
        self.assertNotIn("s3cr3t-value", r.stderr)

    def test_unknown_secret_ref(self):
        secrets = write(os.path.join(self.tmp, "secrets.toml"), '[other]\naccess_key_id = "x"\n', 0o600)
        r = self.cli("config", "check", "--config", self.s3_config(secrets))
        self.assertEqual(r.returncode, 3)
        self.assertIn('secret_ref "client_eu"', r.stderr)


if __name__ == "__main__":
    lh.main()
