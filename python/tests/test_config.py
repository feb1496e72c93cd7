"""Client configuration (profiles file, TEMPORAL_* variables) and
credentials replaced on a live client, against the real dev server."""

from __future__ import annotations

from pathlib import Path

import pytest
from devenv import DevEnv

from temporal_bridge import AsyncClient, Client, InvalidArgumentError, UnavailableError
from temporal_bridge.envconfig import ClientConfigProfile, load_client_connect_config

SECRET = "py-secret-api-key-42"
KEY_BODY = "MIIpysecretkeybody"


@pytest.fixture
def config(tmp_path: Path, env: DevEnv, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A profiles file; no TEMPORAL_* variable and no user file leaks in."""
    for name in list(__import__("os").environ):
        if name.startswith("TEMPORAL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    path = tmp_path / "temporal.toml"
    path.write_text(
        f"""
[profile.default]
address = "127.0.0.1:1"

[profile.dev]
address = "{env.target}"
namespace = "{env.namespace}"
[profile.dev.grpc_meta]
X_Team = "bridge"

[profile.cloudish]
address = "{env.target}"
api_key = "{SECRET}"
[profile.cloudish.tls]
disabled = true
client_key_data = "-----BEGIN PRIVATE KEY-----\\n{KEY_BODY}\\n-----END PRIVATE KEY-----"
"""
    )
    return path


def test_connect_by_profile_and_environment(config: Path, env: DevEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    with Client.connect(profile="dev", config_file=config) as client:
        assert client.namespace == env.namespace
        assert client.rpc_metadata == {"x-team": "bridge"}
        assert client.describe_namespace()["namespaceInfo"]["name"] == env.namespace
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(config))
    monkeypatch.setenv("TEMPORAL_PROFILE", "dev")
    with Client.connect() as client:
        assert client.namespace == env.namespace
    # The environment over the file, explicit arguments over both.
    monkeypatch.setenv("TEMPORAL_PROFILE", "default")
    with pytest.raises(UnavailableError, match="127.0.0.1:1"):
        Client.connect(connect_timeout=3)
    monkeypatch.setenv("TEMPORAL_ADDRESS", env.target)
    with Client.connect(namespace=env.namespace) as client:
        assert client.describe_namespace()["namespaceInfo"]["name"] == env.namespace
    monkeypatch.delenv("TEMPORAL_ADDRESS")
    with Client.connect(env.target, profile="default", namespace=env.namespace) as client:
        assert client.namespace == env.namespace


def test_profiles_load_as_values_and_never_show_secrets(config: Path, env: DevEnv) -> None:
    profile = ClientConfigProfile.load("cloudish", config_file=config)
    assert profile.api_key == SECRET
    assert not profile.tls_enabled  # disabled explicitly, despite the API key
    shown = repr(profile) + str(profile.tls) + repr(profile.to_client_connect_config().get("tls"))
    assert SECRET not in shown and KEY_BODY not in shown, shown
    dev = load_client_connect_config("dev", config_file=config)
    assert dev["target_host"] == env.target and dev["rpc_metadata"] == {"x-team": "bridge"}
    with Client.connect(**dev) as client:
        assert client.workflow_service.get_system_info()["serverVersion"]
    overridden = ClientConfigProfile.load(
        "dev", config_file=config, override_env_vars={"TEMPORAL_NAMESPACE": "elsewhere", "TEMPORAL_GRPC_META_X_TEAM": ""}
    )
    assert overridden.namespace == "elsewhere" and dict(overridden.grpc_meta) == {}
    assert ClientConfigProfile.load("dev", config_file=config, disable_env=True).namespace == env.namespace


def test_bad_configuration_names_file_profile_and_key(config: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="no such profile; the file has: cloudish, default, dev") as err:
        Client.connect(profile="prod", config_file=config)
    assert str(config) in str(err.value)
    bad = tmp_path / "bad.toml"
    bad.write_text("[profile.x]\nnamespace = 5\n")
    with pytest.raises(InvalidArgumentError, match=r'profile "x", key `namespace`: must be a string'):
        ClientConfigProfile.load("x", config_file=bad)
    bad.write_text("[profile.x\n")
    with pytest.raises(InvalidArgumentError, match="not valid TOML"):
        ClientConfigProfile.load("x", config_file=bad)
    bad.write_text('[profile.x]\nadress = "typo"\n')
    assert ClientConfigProfile.load("x", config_file=bad).address is None
    with pytest.raises(InvalidArgumentError, match="key `adress`: unknown key"):
        ClientConfigProfile.load("x", config_file=bad, config_strict=True)
    with pytest.raises(InvalidArgumentError, match="not both") as both:
        ClientConfigProfile.load(
            config_file=config,
            override_env_vars={"TEMPORAL_TLS_CLIENT_KEY_PATH": "/k", "TEMPORAL_TLS_CLIENT_KEY_DATA": KEY_BODY},
        )
    assert KEY_BODY not in str(both.value)
    with pytest.raises(InvalidArgumentError, match="missing.toml"):
        Client.connect(config_file=tmp_path / "missing.toml")


def test_credentials_are_replaced_on_a_live_client(client: Client, env: DevEnv) -> None:
    with Client.connect(env.target, namespace=env.namespace, rpc_metadata={"x-a": "1"}) as live:
        assert live.api_key is None
        live.rpc_metadata = {"x-b": "2"}
        assert live.rpc_metadata == {"x-b": "2"}
        assert live.workflow_service.get_system_info()["serverVersion"]
        with pytest.raises(InvalidArgumentError) as bad:
            live.api_key = "line\nbreak-" + SECRET
        assert SECRET not in str(bad.value)
        assert live.api_key is None  # the old set stays
        with pytest.raises(TypeError):
            live.rpc_metadata = {"x": 1}  # type: ignore[dict-item]
        live.api_key = SECRET
        assert live.api_key == SECRET
        live.api_key = None
        assert live.api_key is None
        assert live.workflow_service.get_system_info()["serverVersion"]


def test_asyncio_client_takes_the_configuration(config: Path, env: DevEnv) -> None:
    import asyncio

    async def main() -> None:
        async with await AsyncClient.connect(profile="dev", config_file=config) as client:
            assert (await client.describe_namespace())["namespaceInfo"]["name"] == env.namespace
            client.rpc_metadata = {"x-async": "1"}
            assert client.rpc_metadata == {"x-async": "1"}

    asyncio.run(main())


def test_lazy_client_and_a_real_http_connect_proxy(env: DevEnv, tmp_path: Path) -> None:
    import socket
    import subprocess
    import time

    from temporal_bridge import CallTimeoutError, HttpConnectProxyConfig, KeepAliveConfig

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    lazy = Client.connect(f"127.0.0.1:{port}", lazy=True, keep_alive_config=KeepAliveConfig.DISABLED)
    assert time.monotonic() - started < 1
    with pytest.raises((UnavailableError, CallTimeoutError)):
        lazy.call_rpc("workflow", "GetSystemInfo", {}, timeout=1)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        proxy_port = s.getsockname()[1]
    conf = tmp_path / "tinyproxy.conf"
    conf.write_text(f"Port {proxy_port}\nListen 127.0.0.1\nAllow 127.0.0.1\nBasicAuth bob builder\n")
    proxy = subprocess.Popen(["tinyproxy", "-d", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", proxy_port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "tinyproxy did not start"
                time.sleep(0.05)
        through = HttpConnectProxyConfig(f"127.0.0.1:{proxy_port}", basic_auth=("bob", "builder"))
        with Client.connect(
            env.target, namespace=env.namespace, http_connect_proxy_config=through, compression="gzip"
        ) as client:
            assert client.describe_namespace()["namespaceInfo"]["name"] == env.namespace
        wrong = HttpConnectProxyConfig(f"127.0.0.1:{proxy_port}", basic_auth=("bob", "wrong-pass-123"))
        assert "wrong-pass-123" not in repr(wrong)
        with pytest.raises(UnavailableError, match="refused the credentials") as err:
            Client.connect(env.target, http_connect_proxy_config=wrong, connect_timeout=5)
        assert "wrong-pass-123" not in str(err.value)
    finally:
        proxy.kill()
        proxy.wait()
