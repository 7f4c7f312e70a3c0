"""compose.yaml runs the real stack: its structure is checked here, since no Docker runs in CI.

Every setting the app reads (a `Settings` field) must be wired into the app's environment,
migrations must run once before the app and workers, and every long-running service but the
workers has a health check.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from lendline.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
APP_ENV: dict[str, str] = SERVICES["app"]["environment"]


def env_names(name: str) -> list[str]:
    """The environment names a setting is read from (its aliases, or LENDLINE_<NAME>)."""
    alias = Settings.model_fields[name].validation_alias
    if alias is None:
        return [f"LENDLINE_{name.upper()}"]
    return [str(choice) for choice in alias.choices]  # type: ignore[union-attr]


def test_the_stack_has_its_services_on_the_named_images() -> None:
    assert set(SERVICES) == {"db", "redis", "migrate", "app", "worker", "proxy"}
    assert SERVICES["db"]["image"] == "pgvector/pgvector:pg16"
    assert SERVICES["redis"]["image"] == "redis:7"
    for name in ("migrate", "app", "worker"):
        assert SERVICES[name]["build"] == "."


@pytest.mark.parametrize("name", ["db", "redis", "app", "proxy"])
def test_long_running_services_have_health_checks(name: str) -> None:
    check = SERVICES[name]["healthcheck"]
    assert check["test"] and check["interval"]


def test_the_app_is_healthy_only_when_ready() -> None:
    probe = " ".join(SERVICES["app"]["healthcheck"]["test"])
    assert "/readyz" in probe


def test_migrations_run_once_before_the_app_and_workers() -> None:
    migrate = SERVICES["migrate"]
    assert migrate["command"][:2] == ["lendline", "migrate"]
    assert migrate["restart"] == "no"
    for name in ("app", "worker"):
        service = SERVICES[name]
        assert service["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"}
        assert service["depends_on"]["db"] == {"condition": "service_healthy"}
        assert service["depends_on"]["redis"] == {"condition": "service_healthy"}
        assert service["environment"]["LENDLINE_MIGRATE_ON_START"] == "false"
        # Only the migrate service seeds: replicas would race to seed an empty database.
        assert service["environment"]["LENDLINE_SEED_DEMO_DATA"] == "false"


def test_jobs_run_in_workers_and_the_app_can_have_replicas() -> None:
    assert SERVICES["app"]["environment"]["LENDLINE_RUN_WORKER"] == "false"
    assert SERVICES["worker"]["command"] == ["lendline", "worker"]
    assert SERVICES["worker"]["deploy"]["replicas"] >= 2
    # Replicas publish no host port of their own; the proxy is the one address.
    assert "ports" not in SERVICES["app"]
    assert SERVICES["proxy"]["depends_on"]["app"] == {"condition": "service_healthy"}
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server app:8000" in nginx
    assert "proxy_set_header Upgrade $http_upgrade" in nginx


def test_data_lives_in_named_volumes() -> None:
    assert set(COMPOSE["volumes"]) >= {"pgdata", "redisdata", "appdata"}
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["db"]["volumes"]
    assert "redisdata:/data" in SERVICES["redis"]["volumes"]


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_wired_into_the_app(name: str) -> None:
    names = env_names(name)
    wired = [env for env in names if env in APP_ENV]
    assert wired, f"setting {name!r} ({' or '.join(names)}) is missing from compose.yaml"
    value = str(APP_ENV[wired[0]])
    passed = re.fullmatch(r"\$\{(\w+):[-?].*\}", value)
    # Passed through from .env under its own name, or fixed for the production stack.
    assert passed is None or passed.group(1) == wired[0], value


def test_every_setting_is_documented_in_env_example() -> None:
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^(\w+)=", example, flags=re.MULTILINE))
    missing = [name for name in Settings.model_fields if not set(env_names(name)) & listed]
    assert not missing, f".env.example does not list {missing}"


def test_the_worker_and_migrate_services_share_the_app_settings() -> None:
    for name in ("worker", "migrate"):
        environment = SERVICES[name]["environment"]
        assert set(environment) == set(APP_ENV)
        assert environment["DATABASE_URL"] == APP_ENV["DATABASE_URL"]
