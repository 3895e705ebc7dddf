"""Backends by name: built-ins, user registration, entry-point plugins, helpful errors."""

from __future__ import annotations

import importlib.metadata as metadata

import pytest

from agentrl.errors import UserError
from agentrl.sandboxes import SandboxConfig, create, get, names, register, registry
from agentrl.sandboxes.process import ProcessSandbox
from agentrl.sandboxes.registry import SandboxNotFoundError


class EchoSandbox(ProcessSandbox):
    """A user backend: a process sandbox that tags itself."""

    backend = "echo"


def test_builtins_are_registered():
    assert {"docker", "bwrap", "process"} <= set(names())
    assert get("process") is ProcessSandbox


def test_unknown_name_is_a_user_error_listing_valid_names():
    with pytest.raises(SandboxNotFoundError) as info:
        get("bubblewrap")
    assert isinstance(info.value, UserError)
    assert "Valid: " in str(info.value) and "bwrap" in str(info.value)


def test_register_a_factory_and_create_through_config():
    register("echo-test", EchoSandbox)
    with create(SandboxConfig(backend="echo-test")) as sandbox:
        assert isinstance(sandbox, EchoSandbox)
        assert sandbox.exec("echo 7", timeout=30).stdout == "7\n"


def test_register_by_dotted_path_is_lazy():
    register("echo-lazy", "tests.sandboxes.test_registry:EchoSandbox")
    assert get("echo-lazy") is EchoSandbox
    with pytest.raises(ValueError, match="module:attr"):
        register("bad", "no_colon_here")


def test_entry_point_plugins_are_discovered(monkeypatch):
    plugin = metadata.EntryPoint(name="from-plugin", group=registry.ENTRY_POINT_GROUP,
                                 value="tests.sandboxes.test_registry:EchoSandbox")
    broken = metadata.EntryPoint(name="broken-plugin", group=registry.ENTRY_POINT_GROUP,
                                 value="no_such_module_xyz:Thing")
    real = metadata.entry_points

    def fake_entry_points(**kwargs):
        if kwargs.get("group") == registry.ENTRY_POINT_GROUP:
            return [plugin, broken]
        return real(**kwargs)

    monkeypatch.setattr(registry.metadata, "entry_points", fake_entry_points)
    monkeypatch.setattr(registry, "_plugins_loaded", False)
    monkeypatch.setattr(registry, "_registry", dict(registry._registry))
    monkeypatch.setattr(registry, "_plugin_errors", {})
    assert get("from-plugin") is EchoSandbox
    assert "broken-plugin" in registry.plugin_errors()
    assert "ModuleNotFoundError" in registry.plugin_errors()["broken-plugin"]


def test_config_rejects_unknown_keys_and_bad_values():
    with pytest.raises(ValueError, match="extra"):
        SandboxConfig.model_validate({"backend": "docker", "memroy_mb": 5})
    with pytest.raises(ValueError, match="workdir"):
        SandboxConfig(workdir="relative/path")
    with pytest.raises(ValueError):
        SandboxConfig(pids_limit=1)
    defaults = SandboxConfig()
    assert (defaults.network, defaults.memory_mb, defaults.pids_limit) == (False, 1024, 256)


def test_docker_down_is_a_one_line_user_error(monkeypatch, tmp_path):
    from agentrl.sandboxes import docker as docker_backend

    monkeypatch.setattr(docker_backend, "_client", None)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-daemon.sock")
    with pytest.raises(UserError, match="cannot reach the Docker engine") as info:
        create(backend="docker")
    assert "install-system-deps.sh" in str(info.value)
    assert "\n" not in str(info.value)
    ok, detail = docker_backend.DockerSandbox.check()
    assert not ok and "cannot reach the Docker engine" in detail
    monkeypatch.setattr(docker_backend, "_client", None)  # do not keep the broken client
