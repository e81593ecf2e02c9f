// Shared by the pages: JSON requests carrying the session's CSRF token, and building elements.
// Every user text goes into the page as text (textContent, value), never as markup.
"use strict";

const $ = (id) => document.getElementById(id);

function csrfToken() {
  return document.querySelector("meta[name=csrf]").content;
}

async function request(url, options) {
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    return { status: 0, json: { error: "无法连接服务器：" + error.message } };
  }
  let json = {};
  try { json = await response.json(); } catch (error) { json = { error: "服务器返回了无效的内容" }; }
  return { status: response.status, json };
}

function postJSON(url, body) {
  return request(url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
                        body: JSON.stringify(body) });
}

function getJSON(url) {
  return request(url, { headers: { Accept: "application/json" } });
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

// A mapping's entries replaced in place, in the order given.
function replaceEntries(mapping, entries) {
  for (const key of Object.keys(mapping)) delete mapping[key];
  for (const [key, value] of entries) mapping[key] = value;
}

// The keys of a mapping as the file has them, with the keys a form describes (in its order) put
// beside their neighbours: where a field cleared and typed again goes back to.
function mergedOrder(keys, described) {
  const order = [...keys];
  described.forEach((key, i) => {
    if (order.includes(key)) return;
    let at = 0;
    for (let j = i - 1; j >= 0; j--) {
      const found = order.indexOf(described[j]);
      if (found >= 0) { at = found + 1; break; }
    }
    order.splice(at, 0, key);
  });
  return order;
}

// A key put into a mapping where ``order`` has it among the keys there (at the end if it has not).
function insertOrdered(mapping, key, value, order) {
  const rank = (k) => { const i = order.indexOf(k); return i < 0 ? Infinity : i; };
  const entries = Object.entries(mapping);
  let at = entries.findIndex(([k]) => rank(k) > rank(key));
  if (at < 0) at = entries.length;
  entries.splice(at, 0, [key, value]);
  replaceEntries(mapping, entries);
}

// A download started by the page, as a click on a link would.
function startDownload(href) {
  const link = el("a", { href, download: "" });
  document.body.append(link);
  link.click();
  link.remove();
}

// Lines of pasted text made one, for a field that holds one line: Chinese lines join as they are,
// other words with a space.
function joinLines(text) {
  const lines = text.split(/\r\n|\r|\n/).map((line) => line.trim()).filter(Boolean);
  return lines.reduce((joined, line) => {
    if (!joined) return line;
    const wide = (ch) => ch.charCodeAt(0) > 0x2e7f;
    return joined + (wide(joined.slice(-1)) || wide(line[0]) ? "" : " ") + line;
  }, "");
}

// A paste into a one-line input: a line break is never turned silently into a space.
// Returns the message to show, or null when the text had one line.
function pasteOneLine(input, event) {
  const text = event.clipboardData ? event.clipboardData.getData("text/plain") : "";
  if (!/[\r\n]/.test(text)) return null;
  event.preventDefault();
  input.setRangeText(joinLines(text), input.selectionStart, input.selectionEnd, "end");
  input.dispatchEvent(new Event("input", { bubbles: true }));
  return "粘贴的文字含换行：此栏只能写一行，已合并为一行，请核对";
}
