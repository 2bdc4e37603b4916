"""The course hub's settings: one place for every path, port, account and name.

Everything comes from environment variables with defaults for a Debian server where the
instructor is root (``make hub``); ``make hub-test`` points them at a throw-away tree.

=====================  =============================================  ============================
variable               meaning                                        default
=====================  =============================================  ============================
DLHUB_ROSTER           who is who: lines ``role account``             /etc/dlcourse-hub/roster
DLHUB_STATE            the hub's database, cookie secret, logs        /srv/jupyterhub
DLHUB_COURSE_DIR       the grader's copy of this repository           /srv/dlcourse
DLHUB_EXCHANGE         nbgrader's exchange root                       /usr/local/share/nbgrader/exchange
DLHUB_ENV              the user environment every account runs        /opt/dlcourse-hub/env
DLHUB_AUTH             ``pam`` (a server) or ``dummy`` (tests only)   pam
DLHUB_IP, DLHUB_PORT   where the hub's proxy listens                  127.0.0.1, 8000
DLHUB_HUB_PORT, DLHUB_PROXY_API_PORT, DLHUB_SERVICE_PORT   loopback ports 8081, 8001, 9999
=====================  =============================================  ============================

Roster roles: ``instructor`` (hub admin, opens formgrader), ``grader`` (exactly one: the
account that owns the course directory and runs formgrader as a hub service), ``student``,
``user`` (may log in to the hub but is in no course).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

HUB = Path(__file__).resolve().parent
ROOT = HUB.parent
ROLES = ("instructor", "grader", "student", "user")


def course_id(config: Path = ROOT / "nbgrader_config.py") -> str:
    """The course id, read from the repository's nbgrader_config.py (its one place)."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader(config.name, str(config.parent)).load_config().CourseDirectory.course_id


def read_roster(path: Path) -> dict[str, list[str]]:
    """``{role: [account, ...]}`` from a roster file; a clear error for a bad line."""
    roster: dict[str, list[str]] = {role: [] for role in ROLES}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) != 2 or words[0] not in ROLES:
            raise ValueError(f"{path}:{number}: expected '<role> <account>' with a role among "
                             f"{', '.join(ROLES)}, got {line.strip()!r}")
        roster[words[0]].append(words[1])
    if len(roster["grader"]) != 1:
        raise ValueError(f"{path}: name exactly one grader account (found {len(roster['grader'])})")
    return roster


@dataclass
class Settings:
    """The hub's settings; ``Settings.from_env()`` reads them (see the module docstring)."""

    roster_file: Path
    state: Path
    course_dir: Path
    exchange: Path
    env: Path
    auth: str = "pam"
    ip: str = "127.0.0.1"
    port: int = 8000
    hub_port: int = 8081
    proxy_api_port: int = 8001
    service_port: int = 9999
    course: str = field(default_factory=course_id)

    @classmethod
    def from_env(cls, environ=os.environ) -> Settings:
        get = environ.get
        return cls(roster_file=Path(get("DLHUB_ROSTER", "/etc/dlcourse-hub/roster")),
                   state=Path(get("DLHUB_STATE", "/srv/jupyterhub")),
                   course_dir=Path(get("DLHUB_COURSE_DIR", "/srv/dlcourse")),
                   exchange=Path(get("DLHUB_EXCHANGE", "/usr/local/share/nbgrader/exchange")),
                   env=Path(get("DLHUB_ENV", "/opt/dlcourse-hub/env")),
                   auth=get("DLHUB_AUTH", "pam"), ip=get("DLHUB_IP", "127.0.0.1"),
                   port=int(get("DLHUB_PORT", "8000")), hub_port=int(get("DLHUB_HUB_PORT", "8081")),
                   proxy_api_port=int(get("DLHUB_PROXY_API_PORT", "8001")),
                   service_port=int(get("DLHUB_SERVICE_PORT", "9999")))

    @property
    def roster(self) -> dict[str, list[str]]:
        return read_roster(self.roster_file)

    @property
    def grader(self) -> str:
        return self.roster["grader"][0]

    @property
    def student_group(self) -> str:
        """nbgrader's JupyterHubAuthPlugin reads a user's courses from these two group names."""
        return f"nbgrader-{self.course}"

    @property
    def grader_group(self) -> str:
        return f"formgrade-{self.course}"

    @property
    def python(self) -> Path:
        return self.env / "bin" / "python"

    @property
    def user_path(self) -> str:
        """PATH for every account: the user environment first, never a directory under /root."""
        return f"{self.env / 'bin'}:/usr/local/bin:/usr/bin:/bin"

    @property
    def exchange_course(self) -> Path:
        return self.exchange / self.course
