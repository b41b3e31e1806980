"""The local stack (compose/compose.yaml): every mounted file exists, the pieces point at each
other (image, ports, scrape target, data source, dashboard directory), and Prometheus accepts its
configuration with the shipped alert rules as the container would see them (`promtool check config`).
Grafana and the registry images cannot run here; this checks everything short of that."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from tests.server import ROOT

COMPOSE_DIR = ROOT / "compose"
MONITORING = ROOT / "k8s" / "base" / "monitoring"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((COMPOSE_DIR / "compose.yaml").read_text())
    return data


def _mounts(service: dict[str, Any]) -> dict[PurePosixPath, Path]:
    """Container path -> host file of each bind mount (`host:container[:ro]`, host relative to the file)."""
    found = {}
    for volume in service.get("volumes", []):
        host, target, *mode = volume.split(":")
        assert mode == ["ro"], f"{volume}: mount configuration read-only"
        found[PurePosixPath(target)] = (COMPOSE_DIR / host).resolve()
    return found


def test_services_images_and_mounted_files(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"sitrep", "prometheus", "grafana"}
    for name, service in services.items():
        image = service["image"]
        assert re.fullmatch(r"[\w./-]+:[\w.-]+", image) and not image.endswith(":latest"), f"{name}: pin {image}"
        for target, host in _mounts(service).items():
            assert host.is_file(), f"{name}: {host} (mounted at {target}) does not exist"
    # The image `make image` builds, run as in Kubernetes.
    make_image = re.search(r"^IMAGE \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert make_image and services["sitrep"]["image"] == make_image.group(1)
    assert services["sitrep"]["user"] == "10001:10001" and services["sitrep"]["read_only"] is True
    assert {"50051:50051", "9464:9464"} <= set(services["sitrep"]["ports"])
    # One copy of the dashboard and the rules: the shipped files themselves.
    assert MONITORING / "alerts.rules.yaml" in _mounts(services["prometheus"]).values()
    assert MONITORING / "dashboard.json" in _mounts(services["grafana"]).values()


def test_prometheus_config_with_the_shipped_rules(compose: dict[str, Any], tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool not found: install Debian's prometheus (make test does)"
    prometheus = compose["services"]["prometheus"]
    (config_flag,) = [a for a in prometheus["command"] if a.startswith("--config.file=")]
    config_path = PurePosixPath(config_flag.partition("=")[2])
    # Lay the mounted files out as the container sees them, under tmp_path.
    for target, host in _mounts(prometheus).items():
        copy = tmp_path / target.relative_to("/")
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(host, copy)
    config_file = tmp_path / config_path.relative_to("/")
    checked = subprocess.run(
        [promtool, "check", "config", str(config_file)], capture_output=True, text=True, check=False, timeout=60
    )
    output = checked.stdout + checked.stderr
    assert checked.returncode == 0, output
    assert "alerts.rules.yaml" in output and re.search(r"SUCCESS: [1-9]\d* rules found", output), output

    config = yaml.safe_load(config_file.read_text())
    (sitrep_job,) = [job for job in config["scrape_configs"] if job["job_name"] == "sitrep"]
    (static,) = sitrep_job["static_configs"]
    assert static["targets"] == ["sitrep:9464"]
    # The dashboard's variables and the alerts' `by (namespace)` need these labels.
    assert {"namespace", "pod"} <= set(static["labels"])


def test_grafana_provisioning(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    mounts = _mounts(grafana)
    provisioned = {
        target.name: yaml.safe_load(host.read_text()) for target, host in mounts.items() if host.suffix == ".yaml"
    }
    (source,) = provisioned["prometheus.yaml"]["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    assert "9090:9090" in compose["services"]["prometheus"]["ports"]
    (provider,) = provisioned["sitrep.yaml"]["providers"]
    dashboards = [target for target, host in mounts.items() if host == MONITORING / "dashboard.json"]
    assert [str(d.parent) for d in dashboards] == [provider["options"]["path"]]
    assert grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] == str(dashboards[0])
    for target in mounts:
        if target.suffix == ".yaml":
            assert target.parent.parent == PurePosixPath("/etc/grafana/provisioning"), target
