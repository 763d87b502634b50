// DOM and HTTP helpers of the web console.

/** Called when the API answers 401 (the session ended): the app shows the login form. */
let onUnauthorized = () => undefined;
export function setUnauthorized(fn) {
  onUnauthorized = fn;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'className') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export const $ = (id) => document.getElementById(id);
export const time = (ms) => (ms ? new Date(ms).toLocaleString() : '');

export async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = res.headers.get('content-type') || '';
  const data = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) {
    if (res.status === 401) onUnauthorized();
    const err = new Error((data && data.message) || `HTTP ${res.status}`);
    // The admin forms show each bad field or CSV line next to the form.
    err.status = res.status;
    err.issues = (data && data.issues) || [];
    throw err;
  }
  return data;
}
