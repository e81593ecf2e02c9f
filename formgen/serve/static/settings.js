// A unit's settings (its formgen.yaml) as a form: the fields every project of the unit inherits,
// the 汇总表's title and order, the formats and the unit's wording. Each change is checked as the
// loader will read it; a save with errors is refused, with each message beside its field.
"use strict";

const state = JSON.parse($("state").textContent);
let data = state.data;  // null: the file cannot be read as settings, and is edited as text
let base = structuredClone(state.data || {});
let version = state.version;
let edits = 0;
let savedEdits = 0;
let checkTimer = null;
let checkSeq = 0;
const described = state.fields.flatMap((group) => group.fields.map((field) => field.key));

function set(key, value) {
  const empty = value === "" || value === null || value === undefined || (Array.isArray(value) && !value.length)
    || (typeof value === "object" && !Array.isArray(value) && !Object.keys(value).length);
  if (empty) delete data[key];
  else if (key in data) data[key] = value;
  else insertOrdered(data, key, value, mergedOrder(Object.keys(base), described));
  changed();
}

function changed() {
  edits++;
  $("status").textContent = "有未保存的修改";
  clearTimeout(checkTimer);
  checkTimer = setTimeout(check, 300);
}

function body() {
  return data ? { unit: state.unit, data } : { unit: state.unit, text: $("text").value };
}

// --- the fields --------------------------------------------------------------------------------

function build() {
  if (!data) {
    $("fields").replaceChildren(el("p", { class: "problem error" }, "formgen.yaml 读不出（见上面的消息），请在下面的全文中改正后保存。"));
    $("text").readOnly = false;
    $("text-box").open = true;
    $("text").addEventListener("input", changed);
    return;
  }
  $("fields").replaceChildren(...state.fields.map((group) => el("fieldset", { class: "group" }, el("legend", {}, group.group),
    ...group.fields.map(fieldView))));
}

function fieldView(field) {
  const value = data[field.key];
  const id = "s-" + field.key;
  let input;
  if (field.type === "order") input = orderView(field, Array.isArray(value) ? value : []);
  else if (field.type === "formats") input = formatsView(field, Array.isArray(value) ? value : []);
  else if (field.type === "wording") input = wordingView(field, value && typeof value === "object" ? value : {});
  else {
    const inherited = state.inherited[field.key];
    input = field.type === "choice"
      ? el("select", { id }, el("option", { value: "" }, inherited ? `（继承：${inherited}）` : "（不指定）"),
        ...field.choices.map((choice) => el("option", { value: choice }, choice)))
      : el("input", { id, type: "text", placeholder: inherited ? `继承：${inherited}` : "" });
    input.value = typeof value === "string" ? value : "";
    input.addEventListener("input", () => set(field.key, input.value.trim() ? input.value : ""));
    input.addEventListener("paste", (event) => {
      const said = pasteOneLine(input, event);
      if (said) $("status").textContent = said;
    });
  }
  return el("div", { class: "field", dataset: { key: field.key } },
    el("label", { class: "label", for: id }, field.key), input,
    el("div", { class: "note" }, el("span", { class: "msg", dataset: { for: field.key } }), el("span", { class: "help" }, field.help)));
}

// 顺序: the projects first in the 汇总表, in this order.
function orderView(field, order) {
  const list = el("ol", { class: "order", id: "s-" + field.key });
  const adder = el("select", { "aria-label": "添加到顺序" });
  const update = () => {
    const names = [...list.querySelectorAll("li")].map((item) => item.dataset.name);
    adder.replaceChildren(el("option", { value: "" }, "选择项目……"),
      ...field.choices.filter((name) => !names.includes(name)).map((name) => el("option", { value: name }, name)));
    set(field.key, names);
  };
  const item = (name) => el("li", { dataset: { name } }, el("span", { class: "name" }, name),
    el("button", { type: "button", class: "icon", title: "上移", "aria-label": `上移 ${name}`,
      onclick: (event) => { const li = event.target.closest("li"); if (li.previousElementSibling) li.previousElementSibling.before(li); update(); } }, "↑"),
    el("button", { type: "button", class: "icon", title: "下移", "aria-label": `下移 ${name}`,
      onclick: (event) => { const li = event.target.closest("li"); if (li.nextElementSibling) li.nextElementSibling.after(li); update(); } }, "↓"),
    el("button", { type: "button", class: "icon danger", title: "移出顺序", "aria-label": `移出顺序 ${name}`,
      onclick: (event) => { event.target.closest("li").remove(); update(); } }, "✕"));
  list.append(...order.map(item));
  // Added by the button, not on the list's change: ↑↓ in a closed list change its choice as they pass.
  const add = el("button", { type: "button", class: "add", onclick: () => {
    if (!adder.value) { adder.focus(); return; }
    list.append(item(adder.value));
    update();
    adder.focus();
  } }, "添加到顺序");
  adder.replaceChildren(el("option", { value: "" }, "选择项目……"),
    ...field.choices.filter((name) => !order.includes(name)).map((name) => el("option", { value: name }, name)));
  return el("div", {}, list, el("div", { class: "adder" }, adder, " ", add));
}

// 格式: the formats built, none ticked meaning all.
function formatsView(field, formats) {
  const boxes = field.choices.map((format) => {
    const box = el("input", { type: "checkbox", value: format, checked: formats.includes(format) });
    box.addEventListener("change", () => set(field.key, boxes.filter((b) => b.checked).map((b) => b.value)));
    return box;
  });
  return el("div", { class: "checks", id: "s-" + field.key },
    ...boxes.map((box) => el("label", {}, box, " " + box.value.toUpperCase())), el("span", { class: "muted small" }, "都不勾：三种都生成"));
}

// 措辞: the unit's own words for the labels of the printed form.
function wordingView(field, wording) {
  const list = el("datalist", { id: "labels" }, ...field.labels.map((label) => el("option", { value: label })));
  const rows = el("tbody");
  const update = () => {
    const entries = [...rows.querySelectorAll("tr")].map((row) => [...row.querySelectorAll("input")].map((i) => i.value.trim()))
      .filter(([label, words]) => label && words);
    set(field.key, Object.fromEntries(entries));
  };
  const row = (label = "", words = "") => {
    const from = el("input", { type: "text", list: "labels", value: label, "aria-label": "表样上的标签", placeholder: "表样上的标签" });
    const to = el("input", { type: "text", value: words, "aria-label": "本单位的写法", placeholder: "本单位的写法" });
    from.addEventListener("input", update);
    to.addEventListener("input", update);
    return el("tr", {}, el("td", {}, from), el("td", {}, "→"), el("td", {}, to),
      el("td", {}, el("button", { type: "button", class: "icon danger", title: "删除", onclick: (event) => { event.target.closest("tr").remove(); update(); } }, "✕")));
  };
  rows.append(...Object.entries(wording).map(([label, words]) => row(label, String(words))));
  return el("div", { id: "s-" + field.key }, list, el("table", { class: "wording" }, rows),
    el("button", { type: "button", class: "add", onclick: () => { rows.append(row()); rows.lastChild.querySelector("input").focus(); } }, "＋ 添加一条"));
}

// --- checking and saving -----------------------------------------------------------------------

async function check() {
  const seq = ++checkSeq;
  const { status, json } = await postJSON("/api/settings/check", body());
  if (seq !== checkSeq) return;
  if (status !== 200) { $("status").textContent = json.error; return; }
  showProblems(json.problems);
  if (data) $("text").value = json.text;
}

function showProblems(problems) {
  for (const slot of document.querySelectorAll(".msg[data-for]")) slot.replaceChildren();
  for (const node of document.querySelectorAll(".has-problem")) node.classList.remove("has-problem");
  for (const problem of problems) {
    const slot = document.querySelector(`.msg[data-for="${CSS.escape(problem.field.split(".")[0])}"]`);
    if (!slot) continue;
    slot.append(el("span", { class: "problem " + problem.level }, problem.message));
    slot.title = slot.textContent;
    slot.closest(".field").classList.add("has-problem");
  }
  $("problems").replaceChildren(...problems.map((p) => el("li", { class: "problem " + p.level }, p.text)));
  const errors = problems.filter((p) => p.level === "error").length;
  $("summary").textContent = errors ? `${errors} 个错误：改正后才能保存` : "检查通过";
  $("summary").className = "summary " + (errors ? "error" : "good");
}

async function save() {
  clearTimeout(checkTimer);
  const saved = edits;
  $("status").textContent = "正在保存……";
  const { status, json } = await postJSON("/api/settings/save", { ...body(), version });
  if (json.problems) showProblems(json.problems);
  if (status !== 200) { $("status").textContent = json.error; return; }
  version = json.version;
  savedEdits = saved;
  base = structuredClone(json.data || {});
  $("text").value = json.text;
  $("status").textContent = `已保存 ${new Date().toTimeString().slice(0, 5)}`;
  followBuild(json.build);
}

// The build the save asked for, until it ends: its progress, then how it ended (the lines about
// this unit's forms when some failed), as the editor says it.
async function followBuild(build) {
  const status = $("build-status");
  status.className = "muted";
  for (;;) {
    const { status: code, json } = await getJSON("/api/progress");
    if (code !== 200) { status.textContent = json.error || "无法得知生成情况"; return; }
    if (json.finished >= build && json.last) {
      const mine = json.last.text.split("\n").filter((line) => line.startsWith("错误：") && line.includes(state.unit + "/"));
      status.textContent = json.last.ok ? `本单位的表单已重新生成，${json.last.ended}`
        : `生成有失败，${json.last.ended}` + (mine.length ? "：" + mine.slice(0, 3).join("；") : "（见总览）");
      status.title = status.textContent;
      status.className = json.last.ok ? "good" : "warn";
      return;
    }
    status.textContent = json.done ? `正在重新生成本单位的表单（已完成 ${json.done} 个）……` : "正在重新生成本单位的表单……";
    await new Promise((resolve) => setTimeout(resolve, 700));
  }
}

$("save").addEventListener("click", save);
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === "s") { event.preventDefault(); save(); }
});
window.addEventListener("beforeunload", (event) => { if (edits !== savedEdits) event.preventDefault(); });
$("text").value = state.text;
build();
check();
