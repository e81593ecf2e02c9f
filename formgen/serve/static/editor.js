// The project editor: a form built from the form kind's fields (state.form), a YAML tab, the
// CLI's messages beside the fields, computed figures and the printed pages, kept live as the
// user types. The data edited is the loader's own: every value is the text of the file.
// Every user text goes into the page as text (textContent, value), never as markup.
"use strict";

const state = JSON.parse(document.getElementById("state").textContent);
let data = state.data ? structuredClone(state.data) : null;
let text = state.text;
let version = state.version;
let dirty = false;
let mode = data && state.form ? "form" : "yaml";
let checkTimer = null;
let checkSeq = 0;
let previewSeq = 0;
let saving = false;

const $ = (id) => document.getElementById(id);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

// --- the data, by path -------------------------------------------------------------------------

function get(path) {
  let node = data;
  for (const key of path) {
    if (node === null || typeof node !== "object" || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

// Set a value; an empty text removes the key, and mappings left empty by that go too.
function set(path, value) {
  let node = data;
  const parents = [];
  for (const key of path.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== "object") node[key] = {};
    parents.push([node, key]);
    node = node[key];
  }
  const last = path[path.length - 1];
  if (value === "" || value === undefined) delete node[last];
  else node[last] = value;
  for (let i = parents.length - 1; i >= 0; i--) {
    const [parent, key] = parents[i];
    if (Object.keys(parent[key]).length === 0) delete parent[key];
    else break;
  }
}

// Replace a mapping's entries (rename, reorder, add, delete), keeping it in place.
function setEntries(path, entries) {
  const mapping = Object.fromEntries(entries);
  let node = data;
  for (const key of path.slice(0, -1)) node = node[key] ??= {};
  node[path[path.length - 1]] = mapping;
}

// --- the form ----------------------------------------------------------------------------------

function buildForm() {
  const form = $("form");
  form.replaceChildren(...state.form.map((field) => fieldView(field, [])));
}

function slots(key) {
  return [el("span", { class: "computed", dataset: { computed: key } }),
          el("div", { class: "msg", dataset: { for: key } })];
}

function fieldView(field, parent) {
  const path = [...parent, field.key];
  const key = path.join(".");
  if (field.type === "group") {
    return el("fieldset", { class: "group", dataset: { path: key } },
      el("legend", { title: field.help }, field.key), ...slots(key).slice(1),
      ...field.fields.map((sub) => fieldView(sub, path)));
  }
  if (field.type === "tree") return treeView(field, path);
  const value = get(path);
  const inherited = parent.length === 0 && field.inheritable ? state.inherited[field.key] : undefined;
  let input;
  if (field.type === "choice") {
    input = el("select", {}, el("option", { value: "" }, inherited ? `（继承：${inherited}）` : "（未填）"),
      ...field.choices.map((choice) => el("option", { value: choice }, choice)));
    input.value = typeof value === "string" ? value : "";
  } else if (field.type === "long") {
    input = el("textarea", { rows: 4 });
    input.value = typeof value === "string" ? value : "";
  } else {
    input = el("input", { type: "text", placeholder: inherited ? `继承：${inherited}` : (field.required ? "必填" : "") });
    input.value = typeof value === "string" ? value : "";
  }
  input.name = key;
  input.dataset.path = key;
  input.addEventListener("input", () => { set(path, input.value); changed(); });
  return el("label", { class: "field" + (field.type === "long" ? " long" : "") },
    el("span", { class: "label", title: field.help }, field.key, field.required ? el("span", { class: "req" }, "*") : null),
    input, ...slots(key), el("span", { class: "help" }, field.help));
}

function treeView(field, path) {
  const key = path.join(".");
  const tree = get(path) || {};
  const box = el("fieldset", { class: "tree", dataset: { path: key } }, el("legend", { title: field.help }, field.key),
    ...slots(key).slice(1));
  for (const [name1, groups] of Object.entries(tree)) {
    const level1 = el("div", { class: "level1" }, nameRow(path, name1, "一级指标"));
    for (const [name2, items] of Object.entries(groups || {})) {
      const level2 = el("div", { class: "level2" }, nameRow([...path, name1], name2, "二级指标"));
      const table = el("table", { class: "level3" }, leafHeader(field.leaf));
      for (const [name3, leaf] of Object.entries(items || {})) table.append(leafRow(field.leaf, [...path, name1, name2], name3, leaf));
      level2.append(table, el("button", { class: "add", onclick: () => add([...path, name1, name2], "新指标", newLeaf(field.leaf)) }, "＋ 三级指标"));
      level1.append(level2);
    }
    level1.append(el("button", { class: "add", onclick: () => add([...path, name1], "新二级指标", { 新指标: newLeaf(field.leaf) }) }, "＋ 二级指标"));
    box.append(level1);
  }
  box.append(el("button", { class: "add", onclick: () => add(path, "新一级指标", { 新二级指标: { 新指标: newLeaf(field.leaf) } }) }, "＋ 一级指标"));
  return box;
}

function newLeaf(leaf) {
  return leaf ? {} : null;
}

// A name (一级/二级/三级) with its move and delete buttons; renamed when the input is left.
function nameRow(parent, name, what) {
  const key = [...parent, name].join(".");
  const input = el("input", { type: "text", class: "name", "aria-label": what, dataset: { path: key } });
  input.value = name;
  input.addEventListener("change", () => rename(parent, name, input));
  return el("div", { class: "name-row" }, el("span", { class: "what" }, what), input, ...moveButtons(parent, name, what),
    el("div", { class: "msg", dataset: { for: key } }));
}

function moveButtons(parent, name, what) {
  return [
    el("button", { class: "icon", title: "上移", "aria-label": `上移${what} ${name}`, onclick: () => move(parent, name, -1) }, "↑"),
    el("button", { class: "icon", title: "下移", "aria-label": `下移${what} ${name}`, onclick: () => move(parent, name, 1) }, "↓"),
    el("button", { class: "icon danger", title: "删除", "aria-label": `删除${what} ${name}`, onclick: () => remove(parent, name, what) }, "✕"),
  ];
}

function leafHeader(leaf) {
  const names = leaf ? leaf.map((f) => f.key) : ["指标值"];
  return el("tr", {}, el("th", {}, "三级指标"), ...names.map((n) => el("th", {}, n)), el("th", {}, ""));
}

function leafRow(leaf, parent, name, value) {
  const key = [...parent, name].join(".");
  const nameInput = el("input", { type: "text", class: "name", "aria-label": "三级指标", dataset: { path: key } });
  nameInput.value = name;
  nameInput.addEventListener("change", () => rename(parent, name, nameInput));
  const row = el("tr", { dataset: { path: key } }, el("td", {}, nameInput, el("div", { class: "msg", dataset: { for: key } })));
  const cells = leaf ? leaf : [null];
  for (const field of cells) {
    const path = field ? [...parent, name, field.key] : [...parent, name];
    const current = field ? (value || {})[field.key] : value;
    const input = el(field && field.type === "long" ? "textarea" : "input", { "aria-label": field ? field.key : "指标值" });
    if (input.tagName === "INPUT") input.type = "text";
    input.value = typeof current === "string" ? current : "";
    input.dataset.path = path.join(".");
    input.addEventListener("input", () => {
      if (field) set(path, input.value);
      else set(path, input.value === "" ? null : input.value);  // an empty 指标值 stays a key
      changed();
    });
    const cell = el("td", {}, input, ...slots(path.join(".")));
    if (field && field.key === "得分") cell.append(proposal([...parent, name]));
    row.append(cell);
  }
  row.append(el("td", { class: "buttons" }, ...moveButtons(parent, name, "三级指标")));
  return row;
}

// The score formgen proposes, taken into 得分 with one click.
function proposal(path) {
  const key = [...path, "建议得分"].join(".");
  const button = el("button", { class: "take", dataset: { proposal: key }, hidden: true }, "");
  button.addEventListener("click", () => {
    set([...path, "得分"], button.dataset.score);
    const input = document.querySelector(`[data-path="${CSS.escape([...path, "得分"].join("."))}"]`);
    if (input) input.value = button.dataset.score;
    changed();
  });
  return button;
}

function siblings(parent) {
  return Object.entries(get(parent) || {});
}

function rename(parent, old, input) {
  const name = input.value.trim();
  const entries = siblings(parent);
  if (!name || (name !== old && entries.some(([key]) => key === name))) {
    showLocal(input, name ? "同一层中已有这个名称" : "名称不能为空");
    input.value = old;
    return;
  }
  setEntries(parent, entries.map(([key, value]) => (key === old ? [name, value] : [key, value])));
  buildForm();
  changed();
}

function move(parent, name, step) {
  const entries = siblings(parent);
  const index = entries.findIndex(([key]) => key === name);
  const target = index + step;
  if (target < 0 || target >= entries.length) return;
  [entries[index], entries[target]] = [entries[target], entries[index]];
  setEntries(parent, entries);
  buildForm();
  changed();
}

function remove(parent, name, what) {
  if (!confirm(`删除${what}「${name}」${what === "三级指标" ? "" : "及其下的全部指标"}？`)) return;
  setEntries(parent, siblings(parent).filter(([key]) => key !== name));
  buildForm();
  changed();
}

function add(parent, base, value) {
  const entries = siblings(parent);
  let name = base;
  for (let i = 2; entries.some(([key]) => key === name); i++) name = base + i;
  entries.push([name, value]);
  setEntries(parent, entries);
  buildForm();
  changed();
  const input = document.querySelector(`input.name[data-path="${CSS.escape([...parent, name].join("."))}"]`);
  if (input) { input.focus(); input.select(); }
}

function showLocal(input, message) {
  const slot = input.parentElement.querySelector(".msg");
  if (slot) slot.replaceChildren(el("span", { class: "problem error" }, message));
}

// --- checking and preview ----------------------------------------------------------------------

function changed() {
  dirty = true;
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
  showChecked(json);
  preview(json.text, json.ok);
}

function showChecked(json) {
  if (mode === "form") text = json.text;
  else if (json.data) data = json.data;
  showProblems(json.problems);
  showComputed(json.computed || {});
}

function showProblems(problems) {
  document.querySelectorAll(".msg").forEach((slot) => slot.replaceChildren());
  document.querySelectorAll(".has-problem").forEach((node) => node.classList.remove("has-problem"));
  const slots = [...document.querySelectorAll(".msg[data-for]")];
  $("problems").replaceChildren(...problems.map((p) => el("li", { class: "problem " + p.level }, p.text)));
  for (const problem of problems) {
    // Beside the deepest field the message concerns, else only in the list above.
    let best = null;
    for (const slot of slots) {
      const key = slot.dataset.for;
      if ((problem.field === key || problem.field.startsWith(key + ".")) && (!best || key.length > best.dataset.for.length)) best = slot;
    }
    if (best && mode === "form") {
      best.append(el("span", { class: "problem " + problem.level }, problem.message));
      best.parentElement.classList.add("has-problem");
    }
  }
  const errors = problems.filter((p) => p.level === "error").length;
  $("summary").textContent = errors ? `${errors} 个错误` : (problems.length ? `${problems.length} 条警告或提示` : "检查通过");
  $("summary").className = "summary " + (errors ? "error" : "good");
}

function showComputed(computed) {
  document.querySelectorAll("[data-computed]").forEach((node) => {
    const figure = computed[node.dataset.computed];
    node.textContent = figure ? `计算：${figure}` : "";
  });
  document.querySelectorAll("[data-proposal]").forEach((button) => {
    const score = computed[button.dataset.proposal];
    button.hidden = !score;
    button.dataset.score = score || "";
    button.textContent = score ? `建议 ${score}，采用` : "";
  });
  const totals = ["分值合计", "预算执行得分", "总分", "评分等级"].filter((k) => computed[k]);
  if (totals.length) {
    $("summary").append(el("span", { class: "totals" }, totals.map((k) => `${k} ${computed[k]}`).join("　")));
  }
}

async function preview(forText, ok) {
  if (!ok) {
    $("preview-note").textContent = "项目有错误：预览为上一次没有错误时的样子。";
    return;
  }
  const seq = ++previewSeq;
  const { status, json } = await postJSON("/api/preview", { path: state.path, text: forText });
  if (seq !== previewSeq) return;
  if (status === 503) {  // the server is busy: try again shortly unless a newer edit does first
    $("preview-note").textContent = json.error;
    setTimeout(() => { if (seq === previewSeq) preview(forText, ok); }, 1000);
    return;
  }
  if (status !== 200) { $("preview-note").textContent = json.error; return; }
  $("preview-note").textContent = `共 ${json.pages.length} 页`;
  $("pages").replaceChildren(...json.pages.map((src, i) => el("img", { src, alt: `第 ${i + 1} 页`, class: "page" })));
  document.body.dataset.previewed = String(seq);
}

// --- saving, conflicts, changes made elsewhere --------------------------------------------------

async function save(overwrite) {
  if (saving) return;
  saving = true;
  clearTimeout(checkTimer);
  $("status").textContent = "正在保存……";
  const { status, json } = await postJSON("/api/save", { path: state.path, version: overwrite || version, ...content() });
  saving = false;
  if (status === 409) return conflict(json);
  if (status !== 200) { $("status").textContent = json.error; return; }
  version = json.version;
  dirty = false;
  showChecked(json);
  $("status").textContent = json.ok ? "已保存，正在生成表单" : "已保存（有错误：改正前不会生成新的表单，上次的表单保留）";
  preview(json.text, json.ok);
}

function conflict(json) {
  $("conflict-message").textContent = json.error;
  $("conflict-current").textContent = json.current;
  $("conflict-yours").textContent = json.yours;
  $("conflict").dataset.version = json.version;
  $("status").textContent = "保存被拒绝：文件已被修改";
  $("conflict").showModal();
}

async function watchFile() {
  if (saving) return;
  let response;
  try { response = await fetch("/api/version?path=" + encodeURIComponent(state.path)); } catch (error) { return; }
  if (!response.ok) return;
  const json = await response.json();
  if (json.version === version) return;
  if (!dirty) location.reload();  // nothing to lose: show the file as it is now
  else $("changed-elsewhere").hidden = false;
}

// --- tabs and start ----------------------------------------------------------------------------

function showMode(next) {
  if (next === "form" && !(data && state.form)) {
    $("status").textContent = "此文件有 YAML 错误、含多个项目或表单种类未知：只能在 YAML 页编辑";
    return;
  }
  mode = next;
  $("form").hidden = mode !== "form";
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
const reload = () => { dirty = false; location.reload(); };
$("reload").addEventListener("click", reload);
$("conflict-reload").addEventListener("click", reload);
$("conflict-overwrite").addEventListener("click", () => { $("conflict").close(); save($("conflict").dataset.version); });
$("conflict-cancel").addEventListener("click", () => $("conflict").close());
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === "s") { event.preventDefault(); save(); }
});
window.addEventListener("beforeunload", (event) => { if (dirty) event.preventDefault(); });
setInterval(watchFile, 3000);
showMode(mode);
