"""The hub recipe's configuration, without a hub (make test; the real class runs in make hub-test).

hub/jupyterhub_config.py is loaded the way JupyterHub loads it, from a roster in a temporary
folder, and checked for what the class depends on: real users and PAM by default, loopback,
the course groups nbgrader's JupyterHubAuthPlugin reads,
formgrader as the grader's service, and students without the instructor tools.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

from hub.settings import Settings, course_id, read_roster
from hub.userenv import nbgrader_config

HUB = Path(__file__).resolve().parent.parent / "hub"
ROSTER = "instructor ada\ngrader grader-dlcourse  # formgrader runs as this account\nstudent bob\nstudent cy\nuser eve\n"


@pytest.fixture
def hub_env(tmp_path, monkeypatch):
    (tmp_path / "roster").write_text(ROSTER)
    monkeypatch.setenv("DLHUB_ROSTER", str(tmp_path / "roster"))
    monkeypatch.setenv("DLHUB_ENV", "/opt/dlcourse-hub/env")
    monkeypatch.delenv("DLHUB_AUTH", raising=False)
    return tmp_path


def load_hub_config():
    return PyFileConfigLoader("jupyterhub_config.py", str(HUB)).load_config()


def test_course_id_comes_from_the_repository_nbgrader_config():
    assert course_id() == "dlcourse"


def test_a_bad_roster_line_says_where_and_what(tmp_path):
    (tmp_path / "roster").write_text("student bob\nteacher ada\n")
    with pytest.raises(ValueError, match=r"roster:2: expected '<role> <account>'.*'teacher ada'"):
        read_roster(tmp_path / "roster")
    (tmp_path / "roster").write_text("student bob\n")
    with pytest.raises(ValueError, match="exactly one grader"):
        read_roster(tmp_path / "roster")


def test_hub_config_real_users_pam_loopback_and_course_groups(hub_env):
    c = load_hub_config()
    assert c.JupyterHub.authenticator_class == "pam"
    assert c.JupyterHub.spawner_class == "jupyterhub.spawner.LocalProcessSpawner"
    assert (c.JupyterHub.ip, c.JupyterHub.hub_ip) == ("127.0.0.1", "127.0.0.1")
    assert c.ConfigurableHTTPProxy.command == [str(HUB / "node_modules" / ".bin" / "configurable-http-proxy")]
    assert c.Authenticator.allowed_users == {"ada", "grader-dlcourse", "bob", "cy", "eve"}
    assert c.Authenticator.admin_users == {"ada"}
    assert c.JupyterHub.load_groups == {"nbgrader-dlcourse": {"users": ["bob", "cy"]},
                                        "formgrade-dlcourse": {"users": ["ada", "grader-dlcourse"]}}
    assert c.Spawner.cmd[0] == "/opt/dlcourse-hub/env/bin/python"


def test_formgrader_is_the_graders_service_and_only_staff_may_open_it(hub_env):
    c = load_hub_config()
    (service,) = c.JupyterHub.services
    assert (service["name"], service["user"], service["cwd"]) == ("dlcourse", "grader-dlcourse", "/srv/dlcourse")
    assert service["url"].startswith("http://127.0.0.1:")
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["formgrade-dlcourse"]["groups"] == ["formgrade-dlcourse"]
    assert roles["formgrade-dlcourse"]["scopes"] == ["access:services!service=dlcourse"]


def test_students_get_the_students_jupyter_config_and_staff_do_not(hub_env):
    c = load_hub_config()
    config_path = c.Spawner.environment["JUPYTER_CONFIG_PATH"]

    class Spawner:
        def __init__(self, name):
            self.user = type("User", (), {"name": name})

    assert config_path(Spawner("bob")) == "/opt/dlcourse-hub/env/etc/dlcourse-student"
    assert config_path(Spawner("ada")) == config_path(Spawner("grader-dlcourse")) == ""


def test_dummy_login_only_when_asked_for(hub_env, monkeypatch):
    monkeypatch.setenv("DLHUB_AUTH", "dummy")
    monkeypatch.setenv("DLHUB_DUMMY_PASSWORD", "pw")
    c = load_hub_config()
    assert (c.JupyterHub.authenticator_class, c.DummyAuthenticator.password) == ("dummy", "pw")


def test_every_accounts_nbgrader_config_names_the_course_exchange_and_auth_plugin(hub_env, tmp_path):
    text = nbgrader_config(Settings.from_env())
    config = tmp_path / "nbgrader_config.py"
    config.write_text(text)
    c = PyFileConfigLoader(config.name, str(tmp_path)).load_config()
    assert c.CourseDirectory.course_id == "dlcourse"
    assert c.Exchange.root == "/usr/local/share/nbgrader/exchange"
    assert c.Authenticator.plugin_class == "nbgrader.auth.JupyterHubAuthPlugin"
    assert c.ExchangeSubmit.strict is True
