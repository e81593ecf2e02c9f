// The overview's buttons: new, 自评表 from a 申报表, rename, delete, build.
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
    const name = prompt("由此申报表生成自评表，自评表的文件名：", button.dataset.name + "-自评");
    if (!name) return;
    const { status, json } = await postJSON("/api/new", { unit: unitOf(button), name: name.trim(), from: button.dataset.path });
    if (status === 200) location.href = "/edit?path=" + encodeURIComponent(json.path);
    else alert(json.error);
  },
  async rename(button) {
    const name = prompt("新的项目名称（文件名随之改变）：", button.dataset.name);
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
  async build(button) {
    button.disabled = true;
    document.getElementById("build-status").textContent = "正在生成……";
    const { json } = await postJSON("/api/build", {});
    button.disabled = false;
    if (json.error) alert(json.error);
    location.reload();
  },
};

function unitOf(element) {
  return element.closest("[data-unit]").dataset.unit;
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (button) actions[button.dataset.action](button);
});
