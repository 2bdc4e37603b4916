"""JupyterHub configuration for running the course as a class (``make hub``).

Real system accounts (LocalProcessSpawner), PAM login on a server (the dummy authenticator
only when DLHUB_AUTH=dummy, for tests), the proxy from hub/node_modules (npm, never global),
and formgrader served as a hub service by the grader account from the course directory.
Every value comes from hub/settings.py; ``python -m hub.setup`` prepares what this needs.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hub.settings import HUB, Settings  # noqa: E402
from hub.userenv import student_config_dir  # noqa: E402

s = Settings.from_env()
roster = s.roster
c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

# --- where the hub listens and keeps its state (loopback unless DLHUB_IP says otherwise)
c.JupyterHub.ip = s.ip
c.JupyterHub.port = s.port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = s.hub_port
c.JupyterHub.db_url = f"sqlite:///{s.state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(s.state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(s.state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.command = [str(HUB / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = str(s.state / "proxy.pid")

# --- who may log in, and how
if s.auth == "dummy":
    import os

    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = os.environ["DLHUB_DUMMY_PASSWORD"]  # tests set one
else:
    c.JupyterHub.authenticator_class = "pam"
everyone = {name for names in roster.values() for name in names}
c.Authenticator.allowed_users = everyone
c.Authenticator.admin_users = set(roster["instructor"])

# nbgrader's JupyterHubAuthPlugin finds a user's courses in these groups: students in
# nbgrader-<course>, graders and instructors in formgrade-<course>.
c.JupyterHub.load_groups = {
    s.student_group: {"users": roster["student"]},
    s.grader_group: {"users": [*roster["instructor"], s.grader]},
}
c.JupyterHub.load_roles = [
    # formgrade-<course> may open formgrader (the service); nobody else may
    {"name": f"formgrade-{s.course}", "groups": [s.grader_group],
     "scopes": [f"access:services!service={s.course}"]},
    # formgrader adds students to the course group when the grader adds them there
    {"name": f"service-{s.course}", "services": [s.course],
     "scopes": ["read:users", "list:users", "read:groups", "list:groups", f"groups!group={s.student_group}"]},
]

# --- each user's server: the shared user environment, as the user, in their home
c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [str(s.python), "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
staff = {*roster["instructor"], s.grader}


def jupyter_config_path(spawner) -> str:
    """Students' servers read the students' Jupyter config first (no formgrader, no Create
    Assignment; the Assignments list and Validate on); instructors and graders keep every tool."""
    return "" if spawner.user.name in staff else str(student_config_dir(s))


c.Spawner.environment = {"PATH": s.user_path, "JUPYTER_CONFIG_PATH": jupyter_config_path}
c.Spawner.start_timeout = 180  # a loaded 2-core machine starts JupyterLab slowly
c.Spawner.http_timeout = 180
# nbgrader's JupyterHubAuthPlugin reads the user's groups with the server's own token
# (JUPYTERHUB_API_TOKEN, JUPYTERHUB_API_URL): every token may read its owner's name and groups,
# so JupyterHub's default server token scopes suffice (make hub-test's Assignments list shows it).

# --- formgrader: a JupyterLab server run by the grader account in the course directory,
# reachable at /services/<course>/formgrader by formgrade-<course> members. JupyterHub >= 4.1
# sends `frame-ancestors 'none'`, so formgrader is opened in its own tab, never in an iframe.
c.JupyterHub.services = [{
    "name": s.course,
    "url": f"http://127.0.0.1:{s.service_port}",
    "command": [str(s.python), "-m", "jupyterhub.singleuser"],
    "user": s.grader,
    "cwd": str(s.course_dir),
    "oauth_no_confirm": True,
    "environment": {"PATH": s.user_path, "JUPYTERHUB_DEFAULT_URL": "/formgrader", "VENV": str(s.env),
                    "JUPYTERHUB_USER": s.grader},
}]
