"""Static checks of the monitoring bundle in k8s/base/monitoring and its docs.

- every PromQL expression of the dashboard and the alerts parses (promtool, Debian `prometheus`);
- the alerts pass their promtool unit tests (alerts.test.yaml);
- the PrometheusRule carries exactly the plain rules file's groups;
- the dashboard has the expected template variables, rows and panel types, and its queries
  honour the namespace/pod filters and Grafana's interval variables;
- kustomize renders the dashboard ConfigMap for the Grafana sidecar;
- docs/observability.md documents every metric, panel and alert, with the runbook anchors.

promtool is required on CI (CI=true): without it these tests fail there, and are skipped elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.promql_exprs import (
    alert_exprs,
    dashboard_exprs,
    iter_panels,
    load_dashboard,
    load_rules,
    strip_threshold,
    substitute,
)

ROOT = Path(__file__).resolve().parent.parent
MONITORING = ROOT / "k8s" / "base" / "monitoring"
DASHBOARD = MONITORING / "dashboard.json"
ALERTS = MONITORING / "alerts.rules.yaml"
ALERT_TESTS = MONITORING / "alerts.test.yaml"
PROMETHEUS_RULE = MONITORING / "prometheusrule.yaml"
DOCS = ROOT / "docs" / "observability.md"

ROWS = ["Requests", "Throughput", "Events", "Reload", "Saturation"]
PANEL_TYPES = {"timeseries", "stat", "table"}
SEVERITIES = {"critical", "warning", "info"}


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        message = "promtool not found: install the Debian package `prometheus`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def _check_exprs_parse(tmp_path: Path, exprs: list[str]) -> None:
    """Parse expressions with `promtool check rules`, each as a recording rule."""
    rules = {
        "groups": [
            {
                "name": "parse-check",
                "rules": [{"record": f"sitrep_parse_check:expr_{i}", "expr": expr} for i, expr in enumerate(exprs)],
            }
        ]
    }
    path = tmp_path / "exprs.rules.yaml"
    path.write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    result = subprocess.run(
        [_promtool(), "check", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"promtool rejects:\n{chr(10).join(exprs)}\n{result.stdout}{result.stderr}"


def _panels() -> list[dict[str, Any]]:
    return [p for p in iter_panels(load_dashboard(DASHBOARD)) if p.get("type") != "row"]


def _raw_targets() -> list[tuple[str, dict[str, Any]]]:
    return [(p["title"], t) for p in _panels() for t in p.get("targets", [])]


# --- PromQL parses ---------------------------------------------------------------------------

DASHBOARD_EXPRS = dashboard_exprs(DASHBOARD)
ALERT_EXPRS = alert_exprs(ALERTS)


@pytest.mark.parametrize(
    ("title", "expr"),
    DASHBOARD_EXPRS,
    ids=[f"{i}-{title}" for i, (title, _) in enumerate(DASHBOARD_EXPRS)],
)
def test_dashboard_expr_parses(tmp_path: Path, title: str, expr: str) -> None:
    assert "$" not in expr, f"unsubstituted variable in {title!r}: {expr}"
    _check_exprs_parse(tmp_path, [expr])


def test_variable_queries_parse(tmp_path: Path) -> None:
    """The selector inside each `label_values(selector, label)` variable query parses."""
    selectors = []
    for var in load_dashboard(DASHBOARD)["templating"]["list"]:
        if var["type"] != "query":
            continue
        query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
        match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", query.strip())
        assert match, f"variable {var['name']}: expected label_values(selector, label): {query}"
        selectors.append(substitute(match.group(1)))
    _check_exprs_parse(tmp_path, selectors)


def test_alert_rules_check() -> None:
    result = subprocess.run(
        [_promtool(), "check", "rules", str(ALERTS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_unit_tests() -> None:
    """The alerts fire (and stay quiet) as alerts.test.yaml expects."""
    result = subprocess.run(
        [_promtool(), "test", "rules", ALERT_TESTS.name],
        cwd=MONITORING,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_stripped_alert_exprs_parse(tmp_path: Path) -> None:
    stripped = [strip_threshold(expr) for _, expr in ALERT_EXPRS]
    for (name, expr), lhs in zip(ALERT_EXPRS, stripped, strict=True):
        assert lhs != expr, f"{name}: no threshold stripped from {expr}"
    _check_exprs_parse(tmp_path, stripped)


# --- strip_threshold -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("a / b > 0.05", "a / b"),
        ("sitrep_rules_last_reload_success == 0", "sitrep_rules_last_reload_success"),
        (
            "histogram_quantile(0.99, sum by (le) (rate(x[5m]))) > 1",
            "histogram_quantile(0.99, sum by (le) (rate(x[5m])))",
        ),
        ("(a > 1) - 2", "(a > 1) - 2"),
        ('sum(rate(x{code!="OK"}[5m])) >= bool 3', 'sum(rate(x{code!="OK"}[5m]))'),
        ("a - -1 < 4", "a - -1"),
        ("a > 0 and on (namespace, pod) b == 0", "a and on (namespace, pod) b"),
        ("a > 1 or b < 2", "a or b"),
        ("(a or 0 * b) / c > 0.05", "(a or 0 * b) / c"),
        ("a > 1 < 5", "a"),
        ("a", "a"),
        ("rate(x[5m])", "rate(x[5m])"),
    ],
)
def test_strip_threshold(expr: str, expected: str) -> None:
    assert strip_threshold(expr) == expected


def test_strip_threshold_refuses_unless() -> None:
    with pytest.raises(ValueError, match="unless"):
        strip_threshold("a > 0 unless b > 0")


def test_substitute() -> None:
    assert (
        substitute('rate(x{pod=~"$pod", ns=~"${namespace}"}[$__rate_interval]) [[__range]]')
        == 'rate(x{pod=~".*", ns=~".*"}[1m]) 1h'
    )
    with pytest.raises(KeyError, match="nope"):
        substitute("x[$nope]")


# --- alert rules -----------------------------------------------------------------------------


def test_prometheusrule_matches_plain_rules() -> None:
    manifest = load_rules(PROMETHEUS_RULE)
    assert manifest["apiVersion"] == "monitoring.coreos.com/v1"
    assert manifest["kind"] == "PrometheusRule"
    assert manifest["metadata"]["name"]
    assert set(manifest) == {"apiVersion", "kind", "metadata", "spec"}
    assert set(manifest["spec"]) == {"groups"}
    assert manifest["spec"]["groups"] == load_rules(ALERTS)["groups"], (
        "prometheusrule.yaml spec.groups differ from alerts.rules.yaml groups: copy them over"
    )


def test_alerts_expected() -> None:
    names = [name for name, _ in ALERT_EXPRS]
    assert sorted(names) == sorted(
        [
            "SitrepHighErrorRatio",
            "SitrepHighP99Latency",
            "SitrepRuleReloadFailing",
            "SitrepNoDocumentsProcessed",
        ]
    )
    assert len(set(names)) == len(names)


def _alert_rules() -> list[dict[str, Any]]:
    return [r for g in load_rules(ALERTS)["groups"] for r in g["rules"] if "alert" in r]


def test_alerts_have_severity_and_annotations() -> None:
    for rule in _alert_rules():
        name = rule["alert"]
        assert rule.get("labels", {}).get("severity") in SEVERITIES, name
        annotations = rule.get("annotations", {})
        for key in ("summary", "description", "runbook"):
            assert str(annotations.get(key, "")).strip(), f"{name}: missing {key} annotation"
        assert annotations["runbook"] == f"docs/observability.md#{name.lower()}", name
        assert rule.get("for"), f"{name}: no `for:` duration, so one bad scrape would fire it"


# --- dashboard structure ---------------------------------------------------------------------


def test_dashboard_basics() -> None:
    dashboard = load_dashboard(DASHBOARD)
    assert dashboard["uid"] and dashboard["title"]
    assert 36 <= dashboard["schemaVersion"] <= 41
    assert dashboard.get("id") is None, "exported dashboards must not pin a database id"


def test_dashboard_template_variables() -> None:
    variables = {v["name"]: v for v in load_dashboard(DASHBOARD)["templating"]["list"]}
    assert {"datasource", "namespace", "pod"} <= set(variables)
    datasource = variables["datasource"]
    assert datasource["type"] == "datasource"
    assert datasource["query"] == "prometheus"
    for name in ("namespace", "pod"):
        var = variables[name]
        query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
        assert var["type"] == "query", name
        assert query.startswith("label_values("), name
        assert var["includeAll"] is True, name
        assert var["allValue"] == ".*", name
        assert var["datasource"]["uid"] == "${datasource}", name
        # Default to All, so a local Prometheus without namespace/pod labels still shows data.
        assert var["current"].get("value") in ("$__all", ["$__all"]), name


def test_dashboard_rows_in_order() -> None:
    rows = [p["title"] for p in load_dashboard(DASHBOARD)["panels"] if p["type"] == "row"]
    assert rows == ROWS


def test_dashboard_panels() -> None:
    panels = _panels()
    assert panels
    ids = [p["id"] for p in iter_panels(load_dashboard(DASHBOARD))]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    titles = [p["title"] for p in panels]
    assert len(titles) == len(set(titles)), "duplicate panel titles"
    for panel in panels:
        title = panel["title"]
        assert panel["type"] in PANEL_TYPES, f"{title}: panel type {panel['type']}"
        assert panel.get("description", "").strip(), f"{title}: no description"
        assert panel["datasource"]["uid"] == "${datasource}", title
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, f"{title}: wider than the grid"
        targets = panel.get("targets", [])
        assert targets, f"{title}: no targets"
        for target in targets:
            assert target.get("expr", "").strip(), f"{title}: target {target.get('refId')} empty"
            assert target["datasource"]["uid"] == "${datasource}", title
        ref_ids = [t["refId"] for t in targets]
        assert len(ref_ids) == len(set(ref_ids)), f"{title}: duplicate refIds"
        if panel["type"] == "table":
            assert all(t.get("instant") for t in targets), f"{title}: tables use instant queries"


def test_dashboard_no_panel_overlap() -> None:
    cells: dict[tuple[int, int], str] = {}
    for panel in iter_panels(load_dashboard(DASHBOARD)):
        g = panel["gridPos"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


_SELECTOR = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")  # {...} but not legend {{...}}
_RANGE = re.compile(r"\[([^\]]*)\]")


def test_dashboard_queries_use_filters_and_interval_variables() -> None:
    for title, target in _raw_targets():
        expr = target["expr"]
        selectors = _SELECTOR.findall(expr)
        assert selectors, f"{title}: no label selector in {expr}"
        for selector in selectors:
            for matcher in ('namespace=~"$namespace"', 'pod=~"$pod"'):
                assert matcher in selector, f"{title}: selector {{{selector}}} lacks {matcher}"
        for window in _RANGE.findall(expr):
            assert window in ("$__rate_interval", "$__range"), (
                f"{title}: hard-coded range [{window}]; use $__rate_interval or $__range"
            )
        # Every metric name is followed by its selector, so none escapes the filters.
        for name in _metric_names(expr):
            assert re.search(rf"\b{name}\{{", expr), f"{title}: {name} without a selector"


# --- kustomize -------------------------------------------------------------------------------


def test_kustomize_renders_dashboard_configmap() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not installed")
    result = subprocess.run(
        [kubectl, "kustomize", str(MONITORING)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    docs = {d["kind"]: d for d in yaml.safe_load_all(result.stdout)}
    assert set(docs) == {"ConfigMap", "PrometheusRule"}
    config_map = docs["ConfigMap"]
    assert config_map["metadata"]["name"] == "sitrep-grafana-dashboard", "no hash suffix"
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    (key,) = config_map["data"]
    assert key.endswith(".json")
    assert json.loads(config_map["data"][key]) == load_dashboard(DASHBOARD)
    assert docs["PrometheusRule"]["spec"]["groups"] == load_rules(ALERTS)["groups"]


def test_kustomization_lists_files() -> None:
    kustomization = yaml.safe_load((MONITORING / "kustomization.yaml").read_text())
    assert "prometheusrule.yaml" in kustomization["resources"]
    (generator,) = kustomization["configMapGenerator"]
    assert any(f.endswith("dashboard.json") for f in generator["files"])
    assert generator["options"]["disableNameSuffixHash"] is True
    assert generator["options"]["labels"]["grafana_dashboard"] == "1"


# --- docs ------------------------------------------------------------------------------------

_METRIC = re.compile(r"\b((?:grpc_server|sitrep|process)_[a-z_]+)\b")
_SUFFIX = re.compile(r"_(bucket|sum|count)$")


def _metric_names(expr: str) -> set[str]:
    without_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    return set(_METRIC.findall(without_strings))


def _base_metric(name: str) -> str:
    histograms = ("grpc_server_handling_seconds", "sitrep_document_bytes", "sitrep_stage_seconds")
    base = _SUFFIX.sub("", name)
    return base if base in histograms else name


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _doc_headings() -> list[str]:
    return [line.lstrip("#").strip() for line in DOCS.read_text(encoding="utf-8").splitlines() if line.startswith("#")]


def test_docs_cover_every_metric() -> None:
    text = DOCS.read_text(encoding="utf-8")
    exprs = [target["expr"] for _, target in _raw_targets()] + [e for _, e in ALERT_EXPRS]
    used = {_base_metric(name) for expr in exprs for name in _metric_names(expr)}
    assert used
    missing = sorted(name for name in used if f"`{name}`" not in text)
    assert not missing, f"metrics used but not documented in {DOCS.name}: {missing}"


def test_docs_cover_every_panel() -> None:
    headings = set(_doc_headings())
    missing = [p["title"] for p in _panels() if p["title"] not in headings]
    assert not missing, f"panels without a heading in {DOCS.name}: {missing}"


def test_docs_have_runbook_anchors() -> None:
    anchors = {_slug(h) for h in _doc_headings()}
    for rule in _alert_rules():
        anchor = rule["annotations"]["runbook"].split("#", 1)[1]
        assert anchor in anchors, f"{rule['alert']}: no heading with anchor #{anchor}"


def test_docs_internal_links_resolve() -> None:
    anchors = {_slug(h) for h in _doc_headings()}
    links = re.findall(r"\]\(#([^)]+)\)", DOCS.read_text(encoding="utf-8"))
    assert links
    broken = sorted({link for link in links if link not in anchors})
    assert not broken, f"links to missing headings in {DOCS.name}: {broken}"
