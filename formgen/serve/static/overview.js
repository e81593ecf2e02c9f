// The overview's buttons: new, 自评表 from a 申报表, rename, delete, import, build; and the progress
// of the builds, said until they end.
"use strict";

const actions = {
  async new(button) {
    const name = prompt("新申报表的项目名称：");
    if (!name) return;
    const { status, json } = await postJSON("/api/new", { unit: button.dataset.unit, name: name.trim() });
    if (status === 200) location.href = "/edit?path=" + encodeURIComponent(json.path);
    else alert(json.error);
  },
  async "self-evaluation"(button) {
    const name = prompt("由此申报表生成同一年度的自评表。自评表的文件名：", button.dataset.name + "-自评");
    if (!name) return;
    const { status, json } = await postJSON("/api/new", { unit: unitOf(button), name: name.trim(), from: button.dataset.path });
    if (status === 200) location.href = "/edit?path=" + encodeURIComponent(json.path);
    else alert(json.error);
  },
  async rename(button) {
    const name = prompt("新的项目名称（文件名、汇总表顺序中的名称和自评表中的「申报表」随之改变）：", button.dataset.name);
    if (!name || name.trim() === button.dataset.name) return;
    const { status, json } = await postJSON("/api/rename", { path: button.dataset.path, name: name.trim() });
    if (status === 200) location.reload();
    else alert(json.error);
  },
  async delete(button) {
    if (!confirm("删除项目「" + button.dataset.name + "」？项目文件和它生成的表单都会删除，无法撤销。")) return;
    const { status, json } = await postJSON("/api/delete", { path: button.dataset.path });
    if (status === 200) location.reload();
    else alert(json.error);
  },
  import(button) {
    const input = $("import-files");
    input.dataset.unit = button.dataset.unit;
    input.value = "";
    input.click();
  },
  build(button) {
    button.disabled = true;
    followBuilds(postJSON("/api/build", {}));  // answered when the build ends: its progress is followed meanwhile
  },
};

function unitOf(element) {
  return element.closest("[data-unit]").dataset.unit;
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (button) actions[button.dataset.action](button);
});

// --- import by upload --------------------------------------------------------------------------

$("import-files").addEventListener("change", async () => {
  const input = $("import-files");
  if (!input.files.length) return;
  const body = new FormData();  // the unit goes in the address: checked before the files are received
  for (const file of input.files) body.append("files", file);
  $("import-results").replaceChildren();
  $("import-status").textContent = `正在导入 ${input.files.length} 个文件……`;
  $("import-dialog").showModal();
  const { status, json } = await request("/api/import?unit=" + encodeURIComponent(input.dataset.unit),
    { method: "POST", headers: { "X-CSRF-Token": csrfToken() }, body });
  if (status !== 200) { $("import-status").textContent = json.error; return; }
  const written = json.results.filter((r) => r.written).length;
  $("import-status").textContent = `导入 ${written} 张表` + (written < json.results.length ? `，${json.results.length - written} 张未导入` : "")
    + (written ? "：已写入单位目录，正在生成表单。" : "。");
  $("import-results").replaceChildren(...json.results.map((r) => el("li", { class: r.written ? "" : "problem error" },
    r.written ? `${r.source} → ${r.written.split("/").pop()}` : `未导入 ${r.source}`,
    ...[...r.problems, ...r.notes].map((line) => el("div", { class: "small" + (r.written ? " muted" : "") }, line)))));
});
$("import-close").addEventListener("click", () => { $("import-dialog").close(); location.reload(); });

// --- builds ------------------------------------------------------------------------------------

// While a build runs: how far it got; when it ends (for ``answer``, the answer of a build asked for:
// when it comes), how it ended, and each project's status and downloads as they are now. Only those
// are replaced: no button moves or goes under the pointer.
async function followBuilds(answer) {
  const status = $("build-status");
  let answered = false;
  if (answer) answer.finally(() => { answered = true; });
  for (;;) {
    const endedBefore = answered;  // the progress asked for after the answer tells how the build ended
    const { json } = await getJSON("/api/progress");
    const ended = answer ? endedBefore : !json.running;
    if (ended) {
      const last = json.last;
      status.textContent = last ? (last.ok ? `已生成，${last.ended}` : `生成有失败，${last.ended}`) : "";
      $("build").disabled = false;
      return refreshStatuses();
    }
    status.textContent = json.done ? `正在生成（已完成 ${json.done} 个表单）……` : "正在生成……";
    await new Promise((resolve) => setTimeout(resolve, 700));
  }
}

// The statuses, downloads and 汇总表 links of the page as the server has them now.
async function refreshStatuses() {
  let page;
  try {
    page = new DOMParser().parseFromString(await (await fetch("/")).text(), "text/html");
  } catch (error) {
    return;
  }
  for (const selector of ["tr[data-path] td.status", "tr[data-path] td.downloads", "section[data-unit] .compilation"]) {
    for (const fresh of page.querySelectorAll(selector)) {
      const owner = fresh.closest("[data-path], [data-unit]");
      const attribute = owner.matches("[data-path]") ? "data-path" : "data-unit";
      const here = document.querySelector(`[${attribute}="${CSS.escape(owner.getAttribute(attribute))}"] ${selector.split(" ").pop()}`);
      if (here) here.replaceWith(document.importNode(fresh, true));
    }
  }
}

if ($("build-status").dataset.building) followBuilds(null);
