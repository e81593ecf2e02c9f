// Shared by the pages: JSON requests carrying the session's CSRF token.
"use strict";

async function postJSON(url, body) {
  const csrf = document.querySelector("meta[name=csrf]").content;
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
  } catch (error) {
    return { status: 0, json: { error: "无法连接服务器：" + error.message } };
  }
  let json = {};
  try { json = await response.json(); } catch (error) { json = { error: "服务器返回了无效的内容" }; }
  return { status: response.status, json };
}
