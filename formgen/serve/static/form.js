// The editor's form: built once from the form kind's fields (state.form), and never rebuilt while it
// is used. An edit changes the data and the one place it shows, so focus, selection and the click
// that follows a change all land where the person meant. An element's path in the data is read from
// the page when it is needed (the data-key of the groups and indicators around it, then its own
// data-field), so renaming or moving an indicator only rewrites the path attributes below it.
// The indicators are worked as a spreadsheet: Tab, Enter, Esc and the shortcuts (keydown below).
"use strict";

const state = JSON.parse($("state").textContent);
let data = state.data ? structuredClone(state.data) : null;
let base = structuredClone(state.data || {});  // as last read or saved: the order keys return to
const form = $("form");

// --- the data, by path -------------------------------------------------------------------------

function getIn(node, path) {
  for (const key of path) {
    if (node === null || typeof node !== "object" || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

// The fields the form describes at ``path`` (a mapping), in the order of the form.
function describedKeys(path) {
  let fields = state.form || [];
  for (let i = 0; i < path.length; i++) {
    const field = fields.find((f) => f.key === path[i]);
    if (!field) return [];
    if (field.type === "group") fields = field.fields;
    else if (field.type === "tree") return path.length - i - 1 === 3 && field.leaf ? field.leaf.map((f) => f.key) : [];
    else return [];
  }
  return fields.map((f) => f.key);
}

// Where the keys of the mapping at ``path`` belong: as the file had them, the form's other fields
// beside their neighbours. A field cleared and typed again goes back to its place.
function referenceOrder(path, reference = base) {
  return mergedOrder(Object.keys(getIn(reference, path) || {}), describedKeys(path));
}

// Set a value; an empty text removes the key, and mappings left empty by that go too. A key
// that is not there goes where ``reference`` (else the form) has it.
function setValue(path, value, root = data, reference = base) {
  if (value === "" || value === undefined) return removeValue(path, root);
  let node = root;
  path.slice(0, -1).forEach((key, i) => {
    if (node[key] === null || typeof node[key] !== "object") {
      if (key in node) node[key] = {};
      else insertOrdered(node, key, {}, referenceOrder(path.slice(0, i), reference));
    }
    node = node[key];
  });
  const last = path[path.length - 1];
  if (last in node) node[last] = value;
  else insertOrdered(node, last, value, referenceOrder(path.slice(0, -1), reference));
}

function removeValue(path, root = data) {
  const parents = [];
  let node = root;
  for (const key of path.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== "object") return;
    parents.push([node, key]);
    node = node[key];
  }
  delete node[path[path.length - 1]];
  for (let i = parents.length - 1; i >= 0; i--) {
    const [parent, key] = parents[i];
    if (Object.keys(parent[key]).length === 0) delete parent[key];
    else break;
  }
}

// --- paths, read from the page -----------------------------------------------------------------

function keysOf(node) {
  const keys = [];
  for (let n = node; n && n !== form; n = n.parentElement) if (n.dataset.key !== undefined) keys.unshift(n.dataset.key);
  return keys;
}

function pathOf(node) {
  const keys = keysOf(node);
  if (node.dataset.field) keys.push(node.dataset.field);
  return keys;
}

// Each element with a data-slot gets its path in the attribute the slot names (data-path, data-for,
// data-computed, data-proposal); buttons say the name of their indicator.
function refreshPaths(root) {
  for (const node of [root, ...root.querySelectorAll("[data-slot]")]) {
    if (node.dataset.slot) node.dataset[node.dataset.slot] = pathOf(node).join(".");
  }
  // A list set again only when it changes: setting it closes the suggestions of the box being typed in.
  const offer = (input, list) => { if (input.getAttribute("list") !== list) input.setAttribute("list", list); };
  for (const input of root.querySelectorAll(".level1 > .name-row > input.name")) offer(input, "catalogue");
  for (const input of root.querySelectorAll(".level2 > .name-row > input.name")) {
    offer(input, "catalogue-" + input.closest(".level1").dataset.key);
  }
  for (const button of root.querySelectorAll("[data-verb]")) {
    button.setAttribute("aria-label", `${button.dataset.verb}${button.dataset.what} ${button.closest("[data-key]").dataset.key}`);
  }
}

function slot(name, field) {
  return el("span", { class: name === "for" ? "msg" : name, dataset: { slot: name, field } });
}

// --- the form, built once ----------------------------------------------------------------------

let ids = 0;

function buildForm() {
  form.replaceChildren(...state.form.map((field) => fieldView(field, [])));
  refreshPaths(form);
  showChecked(lastChecked);
}

function fieldView(field, parent) {
  if (field.type === "group") return isGrid(field) ? gridView(field, [...parent, field.key]) : groupView(field, [...parent, field.key]);
  if (field.type === "tree") return treeView(field);
  const id = `f${++ids}`;
  const inherited = parent.length === 0 && field.inheritable ? state.inherited[field.key] : undefined;
  const input = inputFor(field, getIn(data, [...parent, field.key]), inherited);
  input.id = id;
  input.name = [...parent, field.key].join(".");
  return el("div", { class: "field" + (field.type === "long" ? " long" : "") },
    el("label", { class: "label", for: id, title: field.help }, field.key, field.required ? el("span", { class: "req" }, "*") : null),
    input,
    el("div", { class: "note" }, slot("computed", field.key), slot("for", field.key), el("span", { class: "help" }, field.help)));
}

function inputFor(field, value, inherited) {
  let input;
  if (field.type === "choice") {
    input = el("select", {}, el("option", { value: "" }, inherited ? `（继承：${inherited}）` : "（未填）"),
      ...field.choices.map((choice) => el("option", { value: choice }, choice)));
  } else if (field.type === "long") {
    input = el("textarea", { rows: 3 });
  } else {
    input = el("input", { type: "text", placeholder: inherited ? `继承：${inherited}` : (field.required ? "必填" : "") });
  }
  input.value = typeof value === "string" ? value : "";
  input.dataset.field = field.key;
  input.dataset.slot = "path";
  return input;
}

function groupView(field, path) {
  return el("fieldset", { class: "group", dataset: { key: field.key } },
    el("legend", { title: field.help }, field.key), el("div", { class: "note" }, slot("for", "")),
    el("div", { class: "fields" }, ...field.fields.map((sub) => fieldView(sub, path))));
}

// A group of groups with the same one-line fields (the 自评表's 项目资金): a grid like the form's.
function isGrid(field) {
  const groups = field.fields;
  if (!groups.every((g) => g.type === "group" && g.fields.every((f) => f.type === "text"))) return false;
  const columns = groups[0].fields.map((f) => f.key).join("|");
  return groups.every((g) => g.fields.map((f) => f.key).join("|") === columns);
}

function gridView(field, path) {
  const columns = field.fields[0].fields;
  const rows = field.fields.map((group) => el("tr", { dataset: { key: group.key } },
    el("th", { scope: "row", title: group.help }, group.key, group.required ? el("span", { class: "req" }, "*") : null),
    ...group.fields.map((column) => {
      const input = inputFor(column, getIn(data, [...path, group.key, column.key]));
      input.setAttribute("aria-label", `${group.key} ${column.key}`);
      return el("td", { class: "cell" }, input, slot("computed", column.key), slot("for", column.key));
    })));
  return el("fieldset", { class: "group grid", dataset: { key: field.key } },
    el("legend", { title: field.help }, field.key), el("div", { class: "note" }, slot("for", ""), el("span", { class: "help" }, field.help)),
    el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, el("th", {}), ...columns.map((c) => el("th", { title: c.help }, c.key)))),
      el("tbody", {}, ...rows)));
}

// --- the indicator tree ------------------------------------------------------------------------

let tree = null;  // the tree's field description

// The usual names, offered in a list as a 一级 or 二级 name is typed (the 二级 by its 一级).
function catalogueLists(catalogue) {
  const list = (id, names) => el("datalist", { id }, ...names.map((name) => el("option", { value: name })));
  return [list("catalogue", Object.keys(catalogue)),
    ...Object.entries(catalogue).map(([level1, names]) => list("catalogue-" + level1, names))];
}

function treeView(field) {
  tree = field;
  const levels = el("div", { class: "nodes" });
  for (const [name, groups] of Object.entries(getIn(data, [field.key]) || {})) levels.append(level1View(name, groups));
  return el("fieldset", { class: "tree", dataset: { key: field.key } },
    el("legend", { title: field.help }, field.key),
    el("div", { class: "note" }, slot("for", ""), el("span", { class: "help" }, "Tab 下一格 · Enter 下一行 · Esc 撤销本格修改（Ctrl+Z 恢复） · "
      + "Ctrl+Enter 在下方添加 · Alt+↑/↓ 上下移动 · Alt+Delete 删除")),
    levels,
    el("button", { type: "button", class: "add", dataset: { add: "1" } }, "＋ 一级指标"), ...catalogueLists(field.catalogue || {}),
    ...(field.leaf || []).filter((f) => f.suggestions).map((f) =>
      el("datalist", { id: "suggest-" + f.key }, ...f.suggestions.map((text) => el("option", { value: text })))));
}

function level1View(name, groups) {
  const levels = el("div", { class: "nodes" });
  for (const [name2, items] of Object.entries(groups || {})) levels.append(level2View(name2, items));
  return el("div", { class: "level1 node", dataset: { key: name, slot: "path", level: "1" } },
    nameRow(name, "一级指标"), levels,
    el("button", { type: "button", class: "add", dataset: { add: "2" } }, "＋ 二级指标"));
}

function level2View(name, items) {
  const leaves = el("div", { class: "nodes leaves", role: "rowgroup" });
  for (const [name3, value] of Object.entries(items || {})) leaves.append(leafRow(name3, value));
  return el("div", { class: "level2 node", dataset: { key: name, slot: "path", level: "2" } },
    nameRow(name, "二级指标"),
    el("div", { class: "leaf-table" + (tree.leaf ? " evaluation" : ""), role: "table" }, leafHeader(), leaves),
    el("button", { type: "button", class: "add", dataset: { add: "3" } }, "＋ 三级指标"));
}

function leafColumns() {
  return tree.leaf ? tree.leaf : [{ key: "", label: "指标值", type: "text" }];
}

function leafHeader() {
  return el("div", { class: "leaf head", role: "row" }, el("span", { role: "columnheader" }, "三级指标"),
    ...leafColumns().map((c) => el("span", { role: "columnheader", title: c.help || "", dataset: { col: c.key || "指标值" } }, c.label || c.key)),
    el("span", { role: "columnheader" }));
}

function nameInput(name, what) {
  const input = el("input", { type: "text", class: "name", "aria-label": what, dataset: { slot: "path" } });
  input.value = name;
  return input;
}

function nodeButtons(what) {
  const button = (verb, icon, action, extra = "") =>
    el("button", { type: "button", class: "icon" + extra, title: verb, tabindex: "-1", dataset: { verb, what, action } }, icon);
  return [button("上移", "↑", "up"), button("下移", "↓", "down"), button("删除", "✕", "remove", " danger")];
}

// A 一级 or 二级 name with its move and delete buttons.
function nameRow(name, what) {
  return el("div", { class: "name-row" }, el("span", { class: "what" }, what), nameInput(name, what),
    slot("for", ""), el("span", { class: "buttons" }, ...nodeButtons(what)));
}

function leafRow(name, value) {
  const row = el("div", { class: "leaf node", role: "row", dataset: { key: name, slot: "path", level: "3" } },
    el("div", { class: "cell", role: "cell", dataset: { col: "name" } }, nameInput(name, "三级指标"), slot("for", "")));
  for (const column of leafColumns()) {
    const current = column.key ? (value || {})[column.key] : value;
    const label = column.key || "指标值";
    const input = el(column.type === "long" ? "textarea" : "input",
      { "aria-label": label, placeholder: label, rows: column.type === "long" ? 2 : null,
        list: column.suggestions ? "suggest-" + column.key : null });
    if (input.tagName === "INPUT") input.type = "text";
    input.value = typeof current === "string" ? current : "";
    input.dataset.field = column.key;
    input.dataset.slot = "path";
    const cell = el("div", { class: "cell", role: "cell", dataset: { col: label } }, input, slot("for", column.key));
    if (column.key === "得分") cell.append(el("button", { type: "button", class: "take", tabindex: "-1",
      dataset: { slot: "proposal", field: "建议得分" } }, ""));
    row.append(cell);
  }
  row.append(el("div", { class: "cell buttons", role: "cell" }, ...nodeButtons("三级指标")));
  return row;
}

function newNode(level) {
  const leaf = tree.leaf ? {} : null;
  if (level === 3) return ["新指标", leaf, (name) => leafRow(name, leaf)];
  if (level === 2) return ["新二级指标", { 新指标: leaf }, (name) => level2View(name, { 新指标: leaf })];
  return ["新一级指标", { 新二级指标: { 新指标: leaf } }, (name) => level1View(name, { 新二级指标: { 新指标: leaf } })];
}

// The mapping of a node's siblings (created when the tree is empty).
function siblingsOf(node) {
  const path = keysOf(node).slice(0, -1);
  if (getIn(data, path) === undefined || getIn(data, path) === null) setValue(path, {});
  return getIn(data, path);
}

// Add a node at ``level`` after ``after`` (a node) or at the end of ``container`` (.nodes); its name
// is selected for typing.
function addNode(level, container, after) {
  const [stem, value, view] = newNode(level);
  const probe = el("div", { dataset: { key: "" } });
  container.append(probe);  // where the new node will be, to read its siblings' path
  const siblings = siblingsOf(probe);
  probe.remove();
  let name = stem;
  for (let i = 2; name in siblings; i++) name = stem + i;
  const entries = Object.entries(siblings);
  const at = after ? entries.findIndex(([key]) => key === after.dataset.key) + 1 : entries.length;
  entries.splice(at, 0, [name, structuredClone(value)]);
  replaceEntries(siblings, entries);
  const node = view(name);
  if (after) after.after(node);
  else container.append(node);
  refreshPaths(node);
  changed();
  const input = node.querySelector("input.name");
  input.focus();
  input.select();
}

// A name typed: the indicator is renamed at once, keeping its place; a name that is empty or taken
// is said beside it and not applied (leaving the box puts the last good name back).
function renameNode(node, input) {
  const old = node.dataset.key;
  const name = input.value.trim();
  const siblings = siblingsOf(node);
  const local = input.parentElement.querySelector(":scope > .msg");
  if (!name || (name !== old && name in siblings)) {
    local.replaceChildren(el("span", { class: "problem error local" }, name ? "同一层中已有这个名称" : "名称不能为空"));
    input.classList.add("invalid");
    return;
  }
  if (input.classList.contains("invalid")) { input.classList.remove("invalid"); local.replaceChildren(); }
  if (name === old) return;
  replaceEntries(siblings, Object.entries(siblings).map(([key, value]) => [key === old ? name : key, value]));
  node.dataset.key = name;
  refreshPaths(node);
  changed();
}

function nodeSibling(node, step) {
  const sibling = step < 0 ? node.previousElementSibling : node.nextElementSibling;
  return sibling && sibling.classList.contains("node") ? sibling : null;
}

// Move a node up or down among its siblings; the node itself stays in the page (its neighbour
// moves), so the focus stays where it is.
function moveNode(node, step) {
  const sibling = nodeSibling(node, step);
  if (!sibling) return;
  const siblings = siblingsOf(node);
  const entries = Object.entries(siblings);
  const index = entries.findIndex(([key]) => key === node.dataset.key);
  [entries[index], entries[index + step]] = [entries[index + step], entries[index]];
  replaceEntries(siblings, entries);
  if (step < 0) node.after(sibling);
  else node.before(sibling);
  changed();
}

function removeNode(node, focused) {
  const what = { 1: "一级指标", 2: "二级指标", 3: "三级指标" }[node.dataset.level];
  const name = node.dataset.key;
  if (!confirm(`删除${what}「${name}」${node.dataset.level === "3" ? "" : "及其下的全部指标"}？`)) return;
  const siblings = siblingsOf(node);
  replaceEntries(siblings, Object.entries(siblings).filter(([key]) => key !== name));
  const next = nodeSibling(node, 1) || nodeSibling(node, -1);
  const field = focused ? focused.dataset.field : undefined;
  node.remove();
  changed();
  const target = next && ((field !== undefined && next.querySelector(`:scope > .cell > ${boxOf(field)}`))
    || next.querySelector("input.name"));
  (target || form.querySelector("button.add")).focus();
}

// --- typing, clicking and the keyboard ---------------------------------------------------------

form.addEventListener("input", (event) => {
  const input = event.target;
  if (input.classList.contains("name")) return renameNode(input.closest(".node"), input);
  if (input.dataset.slot !== "path") return;
  const empty = input.value === "" && input.dataset.field === "";  // an empty 指标值 stays a key
  setValue(pathOf(input), empty ? null : input.value);
  if (input.dataset.field === "得分") showProposal(input.parentElement.querySelector("[data-proposal]"));
  changed();
});

form.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  const node = button.closest(".node");
  if (button.dataset.add) {
    const level = Number(button.dataset.add);
    const container = button.parentElement.querySelector(":scope > .nodes, :scope > .leaf-table > .nodes");
    addNode(level, container, null);
  } else if (button.dataset.action === "up" || button.dataset.action === "down") {
    moveNode(node, button.dataset.action === "up" ? -1 : 1);
  } else if (button.dataset.action === "remove") {
    removeNode(node, null);
  } else if (button.dataset.slot === "proposal" && button.dataset.score) {
    const input = button.parentElement.querySelector("[data-field='得分']");
    input.value = button.dataset.score;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.focus();
  }
});

// The value a box had when it was entered: Esc puts it back.
form.addEventListener("focusin", (event) => {
  if (event.target.matches("input, textarea")) event.target.dataset.before = event.target.value;
});

// Leaving a name that could not be applied puts the last good name back.
form.addEventListener("focusout", (event) => {
  const input = event.target;
  if (!input.classList.contains("name")) return;
  const node = input.closest(".node");
  if (input.classList.contains("invalid") || input.value !== input.value.trim()) {
    input.value = node.dataset.key;
    input.classList.remove("invalid");
    input.parentElement.querySelector(":scope > .msg").replaceChildren();
  }
});

form.addEventListener("paste", (event) => {
  const input = event.target;
  if (input.tagName !== "INPUT") return;
  const said = pasteOneLine(input, event);
  if (said) $("status").textContent = said;
});

form.addEventListener("keydown", (event) => {
  const input = event.target;
  if (!input.matches("input, textarea, select") || event.isComposing || event.keyCode === 229) return;  // an IME at work
  const node = input.closest(".node");
  const ctrl = event.ctrlKey || event.metaKey;
  let handled = true;
  if (event.key === "Escape" && input.tagName === "INPUT" && input.dataset.before !== undefined
      && input.value !== input.dataset.before) {
    revert(input);
  } else if (event.key === "Enter" && ctrl && node) {
    addNode(Number(node.dataset.level), node.parentElement, node);
  } else if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown") && node) {
    moveNode(node, event.key === "ArrowUp" ? -1 : 1);
    input.focus();
  } else if (event.key === "Delete" && event.altKey && node) {
    removeNode(node, input);
  } else if (event.key === "Enter" && !ctrl && !event.altKey && input.tagName === "INPUT") {
    focusVertically(input, event.shiftKey ? -1 : 1);
  } else {
    handled = false;
  }
  if (handled) event.preventDefault();
});

// Esc in a one-line box: its value on entry back, typed in as an edit of the box's own, so that
// Ctrl+Z brings back what Esc took (setting the value would clear the box's undo). A long text is
// never taken back by Esc: a paragraph is not a cell, and one key should not cost it.
function revert(input) {
  input.select();
  if (input.dataset.before) document.execCommand("insertText", false, input.dataset.before);
  else document.execCommand("delete");
  input.select();
  $("status").textContent = "已撤销本格的修改（Ctrl+Z 恢复）";
}

// The selector of the box of a field in a row.
function boxOf(field) {
  return `:is(input, textarea, select)[data-field="${CSS.escape(field)}"]`;
}

// Enter moves down as in a spreadsheet: to the same column of the next row of the indicators (or of
// the grid), else to the next box of the form; Shift+Enter up.
function focusVertically(input, step) {
  const row = input.closest(".leaf.node, table.grid tbody tr");
  let target = null;
  if (row) {
    const rows = [...(row.matches(".leaf") ? form.querySelectorAll(".leaf.node") : row.parentElement.children)];
    const next = rows[rows.indexOf(row) + step];
    const column = input.classList.contains("name") ? "input.name" : boxOf(input.dataset.field);
    target = next && next.querySelector(column);
  }
  if (!target) {
    const boxes = [...form.querySelectorAll("input, textarea, select")].filter((box) => box.offsetParent !== null);
    target = boxes[boxes.indexOf(input) + step];
  }
  if (target) { target.focus(); if (target.select) target.select(); }
}
