"""A throw-away class on a real JupyterHub, for ``make hub-test``.

``ClassHub`` creates system accounts with a unique prefix (an instructor, a grader, two
students and a user who is in no course), lays the hub out in one temporary folder
(exchange, hub state, user environment, the grader's course copy, homes), prepares it with
``python -m hub.setup`` and runs ``jupyterhub`` with the recipe's own hub/jupyterhub_config.py
(plus one test service that holds an admin token for the REST API). ``close()`` stops every
process, removes the accounts and the folder, and reports anything left behind.

Everything listens on 127.0.0.1 only.
"""
from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HUB = ROOT / "hub"
ROLES = {"instructor": "instr", "grader": "grader", "student1": "stu1", "student2": "stu2", "outsider": "out"}
START_S = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def uid_processes(uids: set[int]) -> list[int]:
    """Process ids whose real uid is one of uids (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("Uid:"):
                    if int(line.split()[1]) in uids:
                        found.append(int(entry.name))
                    break
        except OSError:
            continue
    return found


class ClassHub:
    """One class on one hub; see the module docstring."""

    def __init__(self, artifacts: Path):
        self.prefix = "dlh" + secrets.token_hex(3)
        self.users = {role: f"{self.prefix}-{short}" for role, short in ROLES.items()}
        self.tmp = Path(f"/tmp/{self.prefix}")
        self.password = secrets.token_urlsafe(12)
        self.admin_token = secrets.token_hex(24)
        self.artifacts = artifacts
        self.ports = {name: free_port() for name in ("PORT", "HUB_PORT", "PROXY_API_PORT", "SERVICE_PORT")}
        self.proc: subprocess.Popen | None = None
        self.tokens: dict[str, str] = {}
        self.created: list[str] = []
        self.env = {
            "DLHUB_ROSTER": str(self.tmp / "roster"), "DLHUB_STATE": str(self.tmp / "state"),
            "DLHUB_COURSE_DIR": str(self.tmp / "srv" / "dlcourse"),
            "DLHUB_EXCHANGE": str(self.tmp / "exchange"), "DLHUB_ENV": str(self.tmp / "opt" / "env"),
            "DLHUB_AUTH": "dummy", "DLHUB_DUMMY_PASSWORD": self.password,
            **{f"DLHUB_{k}": str(v) for k, v in self.ports.items()},
        }

    # ------------------------------------------------------------------ set-up
    def create_accounts(self) -> None:
        (self.tmp / "home").mkdir(parents=True)
        self.tmp.chmod(0o755)
        for name in self.users.values():
            subprocess.run(["useradd", "--create-home", "--home-dir", str(self.tmp / "home" / name),
                            "--shell", "/bin/bash", "--user-group", name], check=True)
            self.created.append(name)
        roles = {"instructor": "instructor", "grader": "grader", "student1": "student",
                 "student2": "student", "outsider": "user"}
        (self.tmp / "roster").write_text("".join(f"{roles[r]} {n}\n" for r, n in self.users.items()))

    def setup(self) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "hub.setup", "--env-from-venv"], cwd=ROOT,
                              env={**os.environ, **self.env}, capture_output=True, text=True)

    def write_test_config(self) -> Path:
        """The recipe's config, plus a test service holding an admin token for the REST API."""
        config = self.tmp / "state" / "test_config.py"
        config.write_text(
            f"load_subconfig({str(HUB / 'jupyterhub_config.py')!r})\n"
            f"c.JupyterHub.services.append({{'name': 'hub-test', 'api_token': {self.admin_token!r}}})\n"
            "c.JupyterHub.load_roles.append({'name': 'hub-test', 'services': ['hub-test'],\n"
            "    'scopes': ['admin:users', 'admin:groups', 'tokens', 'admin:servers', 'list:users']})\n")
        return config

    # ------------------------------------------------------------------ the hub process
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['PORT']}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['HUB_PORT']}/hub/api"

    def start(self) -> None:
        config = self.write_test_config()
        log = open(self.artifacts / "jupyterhub.log", "a")
        env = {**os.environ, **self.env, "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"}
        self.proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)],
                                     cwd=self.tmp / "state", env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyterhub exited ({self.proc.returncode}): see {self.artifacts}/jupyterhub.log")
            try:
                self.api("GET", "/")
                self.api("GET", f"/users/{self.users['grader']}")
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.5)
        raise RuntimeError(f"jupyterhub did not answer within {START_S} s")

    def proxy_pid(self) -> int | None:
        try:
            pid = int((self.tmp / "state" / "proxy.pid").read_text())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        """SIGTERM the hub (it stops the proxy, the service and users' servers)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        pid = self.proxy_pid()
        if pid is not None:  # the proxy this hub started, should the hub have left it
            os.kill(pid, signal.SIGTERM)

    # ------------------------------------------------------------------ REST API
    def api(self, method: str, path: str, data=None, token: str | None = None, base: str | None = None):
        """One hub REST API call; the decoded JSON answer (raises HTTPError on a 4xx/5xx)."""
        req = urllib.request.Request((base or self.api_url) + path, method=method,
                                     headers={"Authorization": f"token {token or self.admin_token}"},
                                     data=None if data is None else json.dumps(data).encode())
        with urllib.request.urlopen(req, timeout=60) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def token(self, role: str) -> str:
        """An API token for that user, made through the REST API by the test's admin service."""
        if role not in self.tokens:
            name = self.users[role]
            self.tokens[role] = self.api("POST", f"/users/{name}/tokens", {"note": "hub-test"})["token"]
        return self.tokens[role]

    # ------------------------------------------------------------------ commands as a user
    def home(self, role: str) -> Path:
        return Path(pwd.getpwnam(self.users[role]).pw_dir)

    def user_env(self, role: str) -> dict[str, str]:
        """What a terminal in the user's JupyterHub server has: PATH, HOME, the hub's API."""
        name = self.users[role]
        return {"HOME": str(self.home(role)), "USER": name, "LOGNAME": name, "LANG": "C.UTF-8",
                "PATH": f"{self.env['DLHUB_ENV']}/bin:/usr/local/bin:/usr/bin:/bin",
                "JUPYTERHUB_USER": name, "JUPYTERHUB_API_URL": self.api_url,
                "JUPYTERHUB_API_TOKEN": self.token(role)}

    def run_as(self, role: str, *args: str, cwd: Path | None = None, timeout: float = 600) \
            -> subprocess.CompletedProcess:
        """args run as that system user (runuser), with a clean environment; output captured."""
        env = [f"{k}={v}" for k, v in self.user_env(role).items()]
        cmd = ["runuser", "-u", self.users[role], "--", "env", "-i", *env, *args]
        result = subprocess.run(cmd, cwd=cwd or self.home(role), capture_output=True, text=True, timeout=timeout)
        with open(self.artifacts / "commands.log", "a") as log:
            log.write(f"$ [{role}] {' '.join(args)}  (rc {result.returncode})\n{result.stdout}{result.stderr}\n")
        return result

    def nbgrader(self, role: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return self.run_as(role, f"{self.env['DLHUB_ENV']}/bin/python", "-m", "nbgrader", *args, cwd=cwd)

    # ------------------------------------------------------------------ tear-down
    def uids(self) -> set[int]:
        uids = set()
        for name in self.created:
            try:
                uids.add(pwd.getpwnam(name).pw_uid)
            except KeyError:
                pass
        return uids

    def close(self) -> list[str]:
        """Stop everything, remove the accounts and the folder; return what was left behind."""
        self.stop()
        uids = self.uids()
        for pid in uid_processes(uids):  # only processes of the accounts this harness created
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while uid_processes(uids) and time.monotonic() < deadline:
            time.sleep(0.2)
        for name in self.created:
            subprocess.run(["userdel", "--remove", name], capture_output=True)
            subprocess.run(["groupdel", name], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return self.leftovers(uids)

    def leftovers(self, uids: set[int]) -> list[str]:
        left = [f"process {pid}" for pid in uid_processes(uids)]
        left += [f"account {n}" for n in self.created if subprocess.run(
            ["getent", "passwd", n], capture_output=True).returncode == 0]
        left += [f"group {n}" for n in self.created if subprocess.run(
            ["getent", "group", n], capture_output=True).returncode == 0]
        left += [f"file {p}" for p in [self.tmp, *(Path("/var/mail") / n for n in self.created)] if p.exists()]
        if self.proc is not None and self.proc.poll() is None:
            left.append(f"jupyterhub {self.proc.pid}")
        return left
