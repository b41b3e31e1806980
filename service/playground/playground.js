// The rule playground: calls the JSON gateway (POST /v1/Explain) and draws what it returns.
// No dependencies; every text from the server is inserted with textContent, never as HTML.
"use strict";

const DETAILS = ["casualty", "statement", "attack", "siege", "custom"];
const ROLE_COLORS = ["#fde2a7", "#c9e7f8", "#d7f2c9", "#f4d3ec", "#e3dcfb", "#fbd8c6", "#d0f0ec", "#f0f0b8"];
const roleColors = new Map();
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "style") node.style.cssText = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function roleColor(role) {
  if (!roleColors.has(role)) roleColors.set(role, ROLE_COLORS[roleColors.size % ROLE_COLORS.length]);
  return roleColors.get(role);
}

const span = (s) => [(s && s.start) || 0, (s && s.end) || 0];

async function call(method, body, token) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const reply = await fetch("/v1/" + method, { method: "POST", headers, body: JSON.stringify(body) });
  const data = await reply.json();
  if (!reply.ok) throw data;
  return data;
}

function showError(error) {
  const box = $("error");
  box.replaceChildren();
  if (!error) { box.hidden = true; return; }
  box.hidden = false;
  box.append(el("strong", {}, (error.code || "ERROR") + ": "), error.message || String(error));
  for (const v of error.violations || []) box.append("\n  " + v.field + ": " + v.description);
}

// Roles of one event as [role, text, [start, end]], from its typed detail or its CustomEvent.
function eventRoles(event) {
  const type = DETAILS.find((name) => event[name]);
  if (!type) return [];
  const detail = event[type];
  const sources = type === "custom" ? [detail.roles || {}, detail.quantities || {}] : [detail];
  const out = [];
  for (const source of sources) {
    for (const [role, value] of Object.entries(source)) {
      if (value && typeof value === "object" && "text" in value) out.push([role, value.text, span(value.span)]);
    }
  }
  return out;
}

// Enum attributes of one event as [name, value]: "kind: INJURED" (CASUALTY_KIND_INJURED).
function eventAttributes(event) {
  const type = DETAILS.find((name) => event[name]);
  if (!type) return [];
  const detail = event[type];
  const source = type === "custom" ? detail.attributes || {} : detail;
  return Object.entries(source).filter(([, value]) => typeof value === "string").map(([name, value]) => {
    const prefix = name.toUpperCase() + "_";
    const at = value.indexOf(prefix);
    return [name, at >= 0 ? value.slice(at + prefix.length) : value];
  });
}

function eventType(event) {
  return event.custom ? event.custom.label : DETAILS.find((name) => event[name]) || "event";
}

// The text with each event underlined by type and each role shaded, split at every boundary.
function drawText(text, events) {
  const marks = [];
  for (const event of events) {
    const type = eventType(event);
    marks.push({ range: span(event.span), type, rule: event.rule_id });
    for (const [role, , range] of eventRoles(event)) marks.push({ range, role, type, rule: event.rule_id });
  }
  const cuts = new Set([0, text.length]);
  for (const m of marks) { cuts.add(m.range[0]); cuts.add(m.range[1]); }
  const points = [...cuts].filter((c) => c >= 0 && c <= text.length).sort((a, b) => a - b);
  const box = $("marked");
  box.replaceChildren();
  for (let i = 0; i + 1 < points.length; i++) {
    const [start, end] = [points[i], points[i + 1]];
    const inside = marks.filter((m) => m.range[0] <= start && end <= m.range[1]);
    const piece = text.slice(start, end);
    if (!inside.length) { box.append(piece); continue; }
    const event = inside.find((m) => !m.role);
    const role = inside.filter((m) => m.role).sort((a, b) => (a.range[1] - a.range[0]) - (b.range[1] - b.range[0]))[0];
    const node = el("span", { class: event ? "ev t-" + (DETAILS.includes(event.type) ? event.type : "custom") : "" }, piece);
    if (event) { node.dataset.type = event.type; node.dataset.rule = event.rule; }
    if (role) {
      node.classList.add("role");
      node.style.setProperty("--role-color", roleColor(role.role));
      node.dataset.role = role.role;
      node.title = role.type + " " + role.role + " (" + role.rule + ")";
      if (end === role.range[1]) node.append(el("span", { class: "role-tag" }, role.role));
    }
    box.append(node);
  }
  $("legend").replaceChildren(...[...roleColors].map(([role, color]) => el("span", { style: "background:" + color }, role)));
}

function fill(tableId, rows) {
  $(tableId).tBodies[0].replaceChildren(...rows);
}

function drawEvents(events) {
  fill("events", events.map((event) => el("tr", {},
    el("td", { class: "rule-id" }, event.rule_id),
    el("td", {}, eventType(event)),
    el("td", {}, (event.confidence || 0).toFixed(2)),
    el("td", {}, [...eventRoles(event), ...eventAttributes(event)].map(([name, value]) => name + ": " + value).join("; ")))));
  if (!events.length) fill("events", [el("tr", {}, el("td", { colspan: "4", class: "muted" }, "no events"))]);
}

function drawCandidates(candidates) {
  fill("candidates", candidates.map((c) => {
    const fate = (c.fate || "CANDIDATE_FATE_UNSPECIFIED").replace("CANDIDATE_FATE_", "").toLowerCase();
    const why = (c.winner_rule_id ? "to " + c.winner_rule_id + ": " : "") + (c.reason || "");
    return el("tr", {}, el("td", { class: "rule-id" }, c.rule_id), el("td", {}, c.event_label || ""),
      el("td", {}, c.text || ""), el("td", { class: fate }, fate), el("td", {}, why));
  }));
  if (!candidates.length) fill("candidates", [el("tr", {}, el("td", { colspan: "5", class: "muted" }, "no rule matched"))]);
}

function drawMisses(misses) {
  $("miss-count").textContent = "(" + misses.length + " rules found nothing)";
  fill("misses", misses.map((m) => el("tr", {},
    el("td", { class: "rule-id" }, m.rule_id),
    el("td", {}, (m.kind || "").replace("NEAR_MISS_KIND_", "").toLowerCase().replace("_", " ")),
    el("td", {}, m.message || ""))));
}

// Tokens in a row with their tags, and an arc from each head to its dependent, labelled.
function drawParse(tokens) {
  const ns = "http://www.w3.org/2000/svg";
  const svgEl = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const xs = [];
  let x = 10;
  for (const t of tokens) {
    const width = Math.max((t.text || "").length, (t.tag || "").length, 3) * 8 + 14;
    xs.push(x + width / 2);
    x += width;
  }
  const spanMax = Math.max(1, ...tokens.map((t) => Math.abs((t.head || 0) - (t.index || 0))));
  const top = Math.min(260, 30 + spanMax * 18);
  const svg = svgEl("svg", { width: x + 10, height: top + 50 });
  tokens.forEach((t, i) => {
    svg.append(svgEl("text", { x: xs[i], y: top + 20, "text-anchor": "middle" }, t.text));
    svg.append(svgEl("text", { x: xs[i], y: top + 38, "text-anchor": "middle", class: "tag" }, t.tag || ""));
    const head = t.head || 0;
    if (head === i) return;
    const [a, b] = [xs[head], xs[i]];
    const height = Math.min(top - 12, 14 + Math.abs(head - i) * 18);
    const path = "M" + a + "," + top + " C" + a + "," + (top - height) + " " + b + "," + (top - height) + " " + b + "," + top;
    svg.append(svgEl("path", { d: path, class: "arc" }));
    svg.append(svgEl("path", { d: "M" + (b - 3) + "," + (top - 6) + " L" + b + "," + top + " L" + (b + 3) + "," + (top - 6), class: "arc" }));
    svg.append(svgEl("text", { x: (a + b) / 2, y: top - height * 0.75 - 2, "text-anchor": "middle", class: "label" }, t.dep || ""));
  });
  $("parse").replaceChildren(svg);
}

function drawExamples(examples) {
  $("examples-box").hidden = false;
  const passed = examples.filter((e) => e.passed).length;
  $("example-count").textContent = "(" + passed + " passed, " + (examples.length - passed) + " failed)";
  fill("examples", examples.map((e) => el("tr", {},
    el("td", { class: "rule-id" }, e.rule_id), el("td", {}, e.line || ""), el("td", {}, e.text),
    el("td", { class: e.passed ? "pass" : "fail" }, e.passed ? "passed" : "failed: " + (e.problem || "") +
      " (expected " + (e.expected_json || "[]") + ", got " + (e.actual_json || "[]") + ")"))));
}

function draw(text, reply) {
  $("result").hidden = false;
  $("source").textContent = reply.draft ? "(draft rules " + reply.rule_set_version + ")" : "(serving rules " + reply.rule_set_version + ")";
  drawText(text, reply.events || []);
  drawEvents(reply.events || []);
  drawCandidates(reply.candidates || []);
  drawMisses(reply.near_misses || []);
  drawParse(reply.tokens || []);
  if (reply.draft) drawExamples(reply.examples || []);
  document.body.dataset.state = "done";
}

async function explain(withDraft) {
  const text = $("text").value;
  const request = { text, rule_id: $("rule").value.trim(), offset_encoding: "OFFSET_ENCODING_UTF16" };
  if (withDraft) request.draft_yaml = $("draft").value;
  document.body.dataset.state = "busy";
  try {
    const reply = await call("Explain", request, withDraft ? $("token").value : "");
    showError(null);
    draw(text, reply);
  } catch (error) {
    showError(error);
    document.body.dataset.state = "error";
  }
}

async function showVersion() {
  try {
    const info = await call("GetRuleSet", {});
    $("rules-version").textContent = "serving rules " + (info.version || "(none yet)") + ", " + (info.rules || []).length + " rules";
  } catch (error) {
    $("rules-version").textContent = "";
  }
}

$("explain").addEventListener("click", () => explain(false));
$("rule").addEventListener("keydown", (event) => { if (event.key === "Enter") explain(false); });
$("text").addEventListener("keydown", (event) => { if (event.key === "Enter" && event.ctrlKey) explain(false); });
$("draft").addEventListener("keydown", (event) => { if (event.key === "Enter" && event.ctrlKey) explain(true); });
$("run-draft").addEventListener("click", () => explain(true));
const params = new URLSearchParams(location.search);
$("text").value = params.get("text") || "";
$("draft").value = "version: 1\nrules:\n  - id: draft.example\n    event: casualty\n    pattern:\n" +
  "      - {LEMMA: {IN: [soldier, civilian]}, as: victims}\n      - {LEMMA: be}\n      - {LEMMA: wound, as: kind}\n" +
  "    examples:\n      - text: Two civilians were wounded near the bridge.\n        expect: [{victims: civilians}]\n";
showVersion();
if ($("text").value) explain(false);
