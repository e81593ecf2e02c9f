// The project editor's page: the form (form.js) or the YAML tab, the CLI's messages beside the
// fields, computed figures and the printed pages, kept live as the user types; saving, the build of
// each save and its downloads, conflicts. The data edited is the loader's own: every value is the
// text of the file.
"use strict";

let text = state.text;
let version = state.version;
let edits = 0;  // changes made since the page opened
let savedEdits = 0;  // of which the file holds
let mode = data && state.form ? "form" : "yaml";
let checkTimer = null;
let checkSeq = 0;
let previewSeq = 0;
let lastChecked = null;
let saving = null;  // the save under way (a promise)
let awaitedBuild = 0;  // the build that holds the last save
let buildPoll = null;  // the polling of builds under way (a promise)
let refused = null;  // the last save refused over a newer file: its answer and the fields that differ

const dirty = () => edits !== savedEdits;
const kind = state.data && state.data["表单"] || state.inherited["表单"] || "";

// --- checking and preview ----------------------------------------------------------------------

function changed() {
  edits++;
  $("status").textContent = "有未保存的修改";
  clearTimeout(checkTimer);
  checkTimer = setTimeout(check, 300);
}

function content() {
  return mode === "form" ? { data } : { text };
}

async function check() {
  const seq = ++checkSeq;
  const { status, json } = await postJSON("/api/check", { path: state.path, ...content() });
  if (seq !== checkSeq) return;  // a newer check is on its way
  if (status !== 200) { $("status").textContent = json.error; return; }
  if (mode === "form") text = json.text;
  else if (json.data) data = json.data;
  showChecked(json);
  preview();
}

function showChecked(json) {
  lastChecked = json;
  if (!json) return;
  showProblems(json.problems);
  showComputed(json.computed || {});
}

const MISSING = /^(不能为空|缺少必填字段)/;

function showProblems(problems) {
  for (const slot of form.querySelectorAll(".msg")) {
    if (!slot.querySelector(".local")) { slot.replaceChildren(); slot.removeAttribute("title"); }
  }
  for (const node of form.querySelectorAll(".has-error, .has-warning")) node.classList.remove("has-error", "has-warning");
  const slots = [...form.querySelectorAll(".msg[data-for]")];
  const placed = new Map();
  for (const problem of problems) {
    // Beside the deepest field the message concerns, and in the list of the toolbar.
    let best = null;
    for (const slot of slots) {
      const key = slot.dataset.for;
      if ((problem.field === key || problem.field.startsWith(key + ".")) && (!best || key.length > best.dataset.for.length)) best = slot;
    }
    if (best && mode === "form" && !best.querySelector(".local")) {
      best.append(el("span", { class: "problem " + problem.level }, problem.message));
      best.title = best.textContent;
      if (problem.level !== "note") best.closest(".cell, .field, .name-row, fieldset").classList.add("has-" + problem.level);
      placed.set(problem, best);
    }
  }
  const missing = problems.filter((p) => p.level === "error" && MISSING.test(p.message));
  const items = [];
  if (missing.length) {
    items.push(el("li", { class: "problem error" }, `尚待填写 ${missing.length} 项：`,
      ...missing.map((p, i) => [i ? "、" : "", problemLink(p, placed, p.text.replace(/：.*$/, ""))]).flat()));
  }
  for (const p of problems) {
    if (missing.includes(p)) continue;
    const said = mode === "yaml" && p.line && !p.text.startsWith("第") ? `第 ${p.line} 行 · ${p.text}` : p.text;
    items.push(el("li", { class: "problem " + p.level }, problemLink(p, placed, said)));
  }
  $("problems").replaceChildren(...items);
  const errors = problems.filter((p) => p.level === "error").length;
  const others = problems.length - errors;
  $("summary-text").textContent = errors ? `${errors} 个错误` + (others ? `、${others} 条提示` : "")
    : (others ? `检查通过（${others} 条提示）` : "检查通过");
  $("summary").className = "summary " + (errors ? "error" : "good");
}

// A message that takes the person to its field.
function problemLink(problem, placed, label) {
  const slot = placed.get(problem);
  if (!slot) return label;
  return el("a", { href: "#", onclick: (event) => {
    event.preventDefault();
    const owner = slot.closest(".cell, .field, .name-row, fieldset");
    const box = owner.querySelector("input, textarea, select");
    $("messages").open = false;
    owner.scrollIntoView({ block: "center" });
    if (box) box.focus();
  } }, label);
}

function showComputed(computed) {
  for (const node of form.querySelectorAll("[data-computed]")) {
    const figure = computed[node.dataset.computed];
    node.textContent = figure ? `计算：${figure}` : "";
  }
  for (const button of form.querySelectorAll("[data-proposal]")) {
    const score = computed[button.dataset.proposal];
    button.dataset.score = score || "";
    button.textContent = score ? `建议 ${score}，采用` : "";
    showProposal(button);
  }
  const totals = ["分值合计", "总分", "评分等级"].filter((k) => computed[k]);
  $("totals").textContent = totals.map((k) => `${k} ${computed[k]}`).join(" · ");
}

// A proposed score is offered while the 得分 typed differs from it (its place is kept either way).
function showProposal(button) {
  const typed = button.parentElement.querySelector("[data-field='得分']").value.trim();
  const score = button.dataset.score;
  button.classList.toggle("shown", Boolean(score) && (typed === "" || Number(typed) !== Number(score)));
}

function previewShown() {
  return !$("editor").classList.contains("no-preview");
}

async function preview() {
  if (!previewShown() || !lastChecked) return;
  if (!lastChecked.ok) {
    const drafting = lastChecked.problems.some((p) => p.level === "error" && MISSING.test(p.message));
    $("preview-note").textContent = document.body.dataset.previewed
      ? "项目有错误：预览为上一次没有错误时的样子。"
      : (drafting ? "填写完必填（待填写）的字段后显示预览。" : "项目有错误，改正后显示预览。");
    return;
  }
  const seq = ++previewSeq;
  const { status, json } = await postJSON("/api/preview", { path: state.path, text });
  if (seq !== previewSeq) return;
  if (status === 503) {  // the server is busy: try again shortly unless a newer edit does first
    $("preview-note").textContent = json.error;
    setTimeout(() => { if (seq === previewSeq) preview(); }, 1000);
    return;
  }
  if (status !== 200) { $("preview-note").textContent = json.error; return; }
  $("preview-note").textContent = `共 ${json.pages.length} 页`;
  $("pages").replaceChildren(...json.pages.map((src, i) => el("img", { src, alt: `第 ${i + 1} 页`, class: "page" })));
  document.body.dataset.previewed = String(seq);
}

function togglePreview(show) {
  $("editor").classList.toggle("no-preview", !show);
  $("toggle-preview").setAttribute("aria-pressed", String(show));
  $("toggle-preview").textContent = show ? "隐藏预览" : "显示预览";
  localStorage.setItem("formgen.preview." + kind, show ? "1" : "0");
  if (show) preview();
}

// --- saving, building, downloading -------------------------------------------------------------

function save(overwrite) {
  if (saving) return saving;
  saving = doSave(overwrite).finally(() => { saving = null; });
  return saving;
}

async function doSave(overwrite) {
  clearTimeout(checkTimer);
  const saved = edits;
  $("status").textContent = "正在保存……";
  const { status, json } = await postJSON("/api/save", { path: state.path, version: overwrite || version, ...content() });
  if (status === 409) { conflict(json); return false; }
  if (status !== 200) { $("status").textContent = json.error; return false; }
  version = json.version;
  savedEdits = saved;
  $("changed-elsewhere").hidden = true;  // the file is now this save (merged with the other change, or over it)
  if (json.data) base = structuredClone(json.data);
  if (mode === "form" && !dirty()) text = json.text;
  if (mode === "yaml" && json.data) data = json.data;
  if (!dirty()) showChecked(json);
  const time = new Date().toTimeString().slice(0, 5);
  $("status").textContent = dirty() ? "已保存（之后又有修改）" : `已保存 ${time}` + (json.ok ? "" : "（有错误）");
  if (dirty()) check();
  else preview();
  awaitedBuild = json.build;
  followBuild();
  return true;
}

// Until the build holding the last save has ended: its progress, then how the forms stand.
function followBuild() {
  if (!buildPoll) buildPoll = pollBuild().finally(() => { buildPoll = null; });
  return buildPoll;
}

async function pollBuild() {
  setDownloads({ building: true, message: "正在生成表单……" });
  for (;;) {
    const { status, json } = await getJSON("/api/progress?path=" + encodeURIComponent(state.path));
    if (status !== 200) { setDownloads({ message: json.error || "无法得知生成情况" }); return; }
    if (json.finished >= awaitedBuild) {
      setDownloads(json.project);
      return json.project;
    }
    setDownloads({ building: true, message: json.done ? `正在生成表单（已完成 ${json.done} 个）……` : "正在生成表单……" });
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

// The download links as the forms stand: current, being built, or only older ones (said so).
function setDownloads(project) {
  const links = document.querySelectorAll("#downloads a[data-format]");
  for (const link of links) {
    const stale = !project.building && !project.current && project.stale;
    const url = new URL(link.getAttribute("href"), location.href);
    if (stale) url.searchParams.set("stale", "1");
    else url.searchParams.delete("stale");
    link.setAttribute("href", url.pathname + url.search);
    link.classList.toggle("pending", Boolean(project.building));
    link.classList.toggle("unavailable", !project.building && !project.current && !project.stale);
  }
  $("downloads-label").textContent = !project.building && !project.current && project.stale ? "下载旧版：" : "下载：";
  $("build-status").textContent = project.message || "";
  $("build-status").title = project.message || "";
  $("build-status").className = project.current ? "good" : (project.building ? "muted" : "warn");
}

// A download is the form on the screen: unsaved changes are saved first, and the build of the save
// is waited for.
$("downloads").addEventListener("click", async (event) => {
  const link = event.target.closest("a[data-format]");
  if (!link || (!dirty() && !saving && !buildPoll && !link.classList.contains("unavailable"))) return;
  event.preventDefault();
  if (link.classList.contains("unavailable") && !dirty() && !saving && !buildPoll) {
    $("build-status").textContent = "还没有生成的表单：" + $("build-status").textContent;
    return;
  }
  if (dirty() || saving) {
    $("status").textContent = "先保存，再下载……";
    if (!(await save())) return;
  }
  const project = await followBuild();
  if (project && project.current) startDownload(link.getAttribute("href"));
});

// --- conflicts and changes made elsewhere ------------------------------------------------------

function shown(value) {
  if (value === null || value === undefined) return "（空）";
  if (typeof value !== "object") return String(value);
  return Object.entries(value).map(([key, item]) => (item !== null && typeof item === "object" ? `${key}：{${shown(item)}}`
    : `${key}：${item === null ? "" : item}`)).join("；");
}

function hasIn(node, path) {
  const parent = getIn(node, path.slice(0, -1));
  return parent !== null && typeof parent === "object" && path[path.length - 1] in parent;
}

// A field's value on one side, comparable: "absent" is no value at all.
function sideOf(present, value) {
  return present ? JSON.stringify(value) : "absent";
}

function conflict(json) {
  $("conflict-message").textContent = json.error;
  $("conflict-current").textContent = json.current;
  $("conflict-yours").textContent = json.yours;
  const differences = mode === "form" && json.differences ? json.differences : null;
  $("conflict-fields").hidden = !differences;
  $("conflict-merge").hidden = !differences;
  $("conflict-texts").open = !differences;
  if (differences) {
    const rows = differences.map((difference, i) => {
      // Each side against the version both started from (``base``): a field absent on a side is
      // not one whose value is empty (null), so that a colleague's added indicator is theirs.
      const before = sideOf(hasIn(base, difference.path), getIn(base, difference.path));
      const mine = sideOf(difference.in_yours, difference.yours) !== before;
      const theirs = sideOf(difference.in_current, difference.current) !== before;
      const choice = (side, value, present, checked, note) => el("label", { class: "side" },
        el("input", { type: "radio", name: `take${i}`, value: side, checked }),
        el("span", { class: present ? "" : "muted" }, present ? shown(value) : "（无）"), note ? el("span", { class: "tag" }, note) : null);
      return el("tr", { dataset: { index: String(i) } }, el("th", { scope: "row" }, difference.label),
        el("td", {}, choice("current", difference.current, difference.in_current, !mine, theirs ? "对方改过" : "")),
        el("td", {}, choice("yours", difference.yours, difference.in_yours, mine, mine ? "您改过" : "")));
    });
    $("conflict-fields").querySelector("tbody").replaceChildren(...rows);
  }
  refused = { json, differences };
  $("status").textContent = "保存被拒绝：文件已被修改";
  $("conflict").showModal();
}

// The file's current data with the fields the person chose taken from their version (a field that
// only they have goes where they have it).
function merged(json, differences) {
  const result = structuredClone(json.current_data);
  differences.forEach((difference, i) => {
    if ($("conflict-fields").querySelector(`input[name="take${i}"]:checked`).value !== "yours") return;
    if (difference.in_yours) setValue(difference.path, structuredClone(difference.yours), result, data);
    else removeValue(difference.path, result);
  });
  base = structuredClone(json.current_data);
  return result;
}

async function watchFile() {
  if (saving) return;
  const { status, json } = await getJSON("/api/version?path=" + encodeURIComponent(state.path));
  if (status !== 200 || json.version === version) return;
  if (!dirty()) reload();  // nothing to lose: show the file as it is now
  else $("changed-elsewhere").hidden = false;
}

function reload() {
  savedEdits = edits;
  location.reload();
}

// --- tabs and start ----------------------------------------------------------------------------

function showMode(next) {
  if (next === "form" && !(data && state.form)) {
    $("status").textContent = "此文件有 YAML 错误、含多个项目或表单种类未知：只能在 YAML 页编辑";
    return;
  }
  mode = next;
  form.hidden = mode !== "form";
  $("yaml").hidden = mode !== "yaml";
  $("tab-form").classList.toggle("active", mode === "form");
  $("tab-yaml").classList.toggle("active", mode === "yaml");
  if (mode === "form") buildForm();
  else $("yaml").value = text;
  check();
}

$("tab-form").addEventListener("click", () => showMode("form"));
$("tab-yaml").addEventListener("click", () => showMode("yaml"));
$("yaml").addEventListener("input", () => { text = $("yaml").value; changed(); });
$("save").addEventListener("click", () => save());
$("toggle-preview").addEventListener("click", () => togglePreview(!previewShown()));
$("reload").addEventListener("click", reload);
$("conflict-reload").addEventListener("click", reload);
$("conflict-overwrite").addEventListener("click", () => { $("conflict").close(); save(refused.json.version); });
$("conflict-merge").addEventListener("click", () => {
  data = merged(refused.json, refused.differences);
  version = refused.json.version;
  $("conflict").close();
  buildForm();
  save();
});
$("conflict-cancel").addEventListener("click", () => $("conflict").close());
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === "s") { event.preventDefault(); save(); }
});
window.addEventListener("beforeunload", (event) => { if (dirty()) event.preventDefault(); });
setInterval(watchFile, 3000);

const remembered = localStorage.getItem("formgen.preview." + kind);
togglePreview(remembered ? remembered === "1" : (kind !== "自评表" ? innerWidth >= 1200 : innerWidth >= 1800));
showMode(mode);
getJSON("/api/progress?path=" + encodeURIComponent(state.path)).then(({ status, json }) => {
  if (status !== 200) return;
  if (json.running) { awaitedBuild = json.requested; followBuild(); }
  else setDownloads(json.project);
});
