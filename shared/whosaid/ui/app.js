// whosaid claim viewer: the page around highlight.js. Hash routes, one index.html:
//   #/articles                     the articles list          #/speakers          the speakers directory
//   #/articles/{id}[?claim={n}]    an article, its claims     #/speakers/{id}     one speaker's claims
//   #/new                          paste an article
// It talks to the JSON API beside it with fetch: /ui -> /, /Prod/ui -> /Prod/. User data goes into the page only as
// text (textContent, text nodes) or attribute values (setAttribute), never as HTML.

const KEY_STORAGE = "whosaid.apiKey";
const API_BASE = window.location.pathname.replace(/\/ui\/?$/, "");
const PAGE_LIMIT = 100; // the API's largest page
const POLL_MS = 1500;

const view = document.getElementById("view");
const keyStatus = document.getElementById("key-status");

class AuthNeeded extends Error {}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// --- DOM helpers: text in, never markup ------------------------------------------------------------------------

function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "hidden") node.hidden = true;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function notice(kind, ...children) {
  return h("p", { class: "app-notice", "data-kind": kind, role: kind === "error" ? "alert" : "status" }, ...children);
}

function formatDate(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().slice(0, 10);
}

function statusBadge(status) {
  return h("span", { class: "app-status", "data-status": status }, status);
}

function articleHref(articleId, claimIndex) {
  const claim = claimIndex === undefined || claimIndex === null ? "" : `?claim=${encodeURIComponent(claimIndex)}`;
  return `#/articles/${encodeURIComponent(articleId)}${claim}`;
}

function speakerHref(speakerId) {
  return `#/speakers/${encodeURIComponent(speakerId)}`;
}

// --- the API ---------------------------------------------------------------------------------------------------

function storedKey() {
  try {
    return window.localStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return ""; // storage disabled: the key is asked for again
  }
}

function showKeyStatus() {
  keyStatus.hidden = !storedKey();
}

// How this deployment wants its credential, from the security scheme of its own OpenAPI document (public like this
// page): the API key in x-api-key (AuthMode=API_KEY), a Cognito ID token as the whole Authorization header (JWT), or
// a SigV4 signature (IAM), which a web page cannot make. Read once, and only when a credential is needed.
const API_KEY_SCHEME = { header: "x-api-key", name: "API key", signed: false };
let credentialScheme = null; // one promise: requests that need it at once share one read of the document

function credential() {
  credentialScheme = credentialScheme || readCredentialScheme();
  return credentialScheme;
}

async function readCredentialScheme() {
  let scheme = API_KEY_SCHEME;
  try {
    const response = await fetch(API_BASE + "/openapi.json", { headers: { accept: "application/json" } });
    const document_ = await response.json();
    const schemes = Object.values((document_.components && document_.components.securitySchemes) || {});
    const found = schemes.find((s) => s && s.type === "apiKey" && s.in === "header" && typeof s.name === "string");
    if (found) {
      const authType = found["x-amazon-apigateway-authtype"];
      scheme = {
        header: found.name,
        name: authType === "cognito_user_pools" ? "ID token" : "API key",
        signed: authType === "awsSigv4",
      };
    }
  } catch {
    // no document: the API key header, the template's default AuthMode
  }
  return scheme;
}

async function api(path, { method = "GET", body } = {}) {
  const headers = { accept: "application/json" };
  const key = storedKey();
  if (key) headers[(await credential()).header] = key;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(API_BASE + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  const error = (data && data.error) || {};
  // API Gateway answers a missing or wrong key (or a missing signature or token) 403 or 401; an unknown route is
  // also its 403, but with its own code, and no key helps there.
  if ((response.status === 401 || response.status === 403) && error.code !== "MISSING_AUTHENTICATION_TOKEN") {
    throw new AuthNeeded(error.message || response.statusText);
  }
  // Under IAM an unsigned request gets the unknown route's answer: whether it is one, the document's scheme says.
  if (response.status === 403 && (await credential()).signed) throw new AuthNeeded(error.message || response.statusText);
  if (!response.ok) throw new ApiError(response.status, error.code || "http_" + response.status, error.message || response.statusText);
  return { status: response.status, data };
}

function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== null && value !== undefined) query.set(name, value);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

async function allPages(path, field) {
  const items = [];
  let token = null;
  do {
    const { data } = await api(withQuery(path, { limit: PAGE_LIMIT, next_token: token }));
    items.push(...data[field]);
    token = data.next_token;
  } while (token);
  return items;
}

// --- routing --------------------------------------------------------------------------------------------------

let generation = 0; // bumped per navigation: a stale render or poll sees it changed and stops

function parseHash() {
  const raw = window.location.hash.replace(/^#/, "") || "/articles";
  const [path, query = ""] = raw.split("?");
  const parts = path.split("/").filter(Boolean).map((part) => decodeURIComponent(part));
  return { parts, params: new URLSearchParams(query) };
}

function markNav(section) {
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.getAttribute("data-nav") === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function route({ moveFocus = true } = {}) {
  const current = ++generation;
  const { parts, params } = parseHash();
  const [section = "articles", id] = parts;
  markNav(section);
  showKeyStatus();
  const isCurrent = () => current === generation;
  try {
    if (section === "articles" && id) await articleView(id, params.get("claim"), isCurrent);
    else if (section === "speakers" && id) await speakerView(id, isCurrent);
    else if (section === "speakers") await speakersView(isCurrent);
    else if (section === "new") newView();
    else await articlesView(isCurrent);
    if (moveFocus && !params.get("claim") && isCurrent()) view.focus({ preventScroll: true });
  } catch (error) {
    if (!isCurrent()) return;
    if (error instanceof AuthNeeded) keyView(error.message);
    else show(h("h1", {}, "Something went wrong"), notice("error", errorText(error)));
  }
}

function errorText(error) {
  return error instanceof ApiError ? `${error.code}: ${error.message}` : `The API could not be reached (${error.message}).`;
}

function show(...nodes) {
  view.replaceChildren(...nodes.flat().filter((node) => node !== null && node !== undefined));
}

// --- the key --------------------------------------------------------------------------------------------------

async function keyView(message) {
  const scheme = await credential();
  if (scheme.signed) {
    show(
      h("h1", {}, "Signed requests only"),
      notice(
        "error",
        "This deployment (AuthMode=IAM) accepts only requests signed with AWS Signature Version 4, which a web page " +
          "cannot make. Use the API with an AWS SDK or awscurl, or deploy with AuthMode=API_KEY for the viewer.",
      ),
    );
    return;
  }
  const input = h("input", {
    type: "password",
    id: "api-key",
    name: "api-key",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
  });
  const form = h(
    "form",
    {},
    h("label", { for: "api-key" }, scheme.name),
    input,
    h("button", { type: "submit", class: "app-primary" }, `Save ${scheme.name}`),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    try {
      window.localStorage.setItem(KEY_STORAGE, key);
    } catch {
      // without storage the key cannot be kept; the request below fails again and asks again
    }
    route();
  });
  const hadKey = Boolean(storedKey());
  show(
    h("h1", {}, `An ${scheme.name} is needed`),
    h(
      "section",
      { class: "app-key", "aria-labelledby": "key-heading" },
      h("h2", { id: "key-heading" }, hadKey ? `The saved ${scheme.name} was refused` : `Enter the ${scheme.name}`),
      h(
        "p",
        {},
        `The API answered: ${message || "Forbidden"}. The ${scheme.name} is sent as the ${scheme.header} header and `,
        "kept in this browser's local storage until you choose Forget key.",
      ),
      form,
    ),
  );
  input.focus();
}

document.getElementById("forget-key").addEventListener("click", () => {
  try {
    window.localStorage.removeItem(KEY_STORAGE);
  } catch {
    // nothing was stored
  }
  route();
});

// --- filter boxes ---------------------------------------------------------------------------------------------

function filterBox(label, rows) {
  const input = h("input", { type: "search", id: "filter", "aria-label": label, placeholder: label });
  const count = h("span", { class: "app-count", "aria-live": "polite" });
  function apply() {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const row of rows()) {
      const haystack = row.getAttribute("data-search") || "";
      const match = words.every((word) => haystack.includes(word));
      row.hidden = !match;
      if (match) shown += 1;
    }
    count.textContent = words.length ? `${shown} shown` : "";
  }
  input.addEventListener("input", apply);
  return { node: h("p", { class: "app-filter" }, input, count), apply };
}

function searchText(...values) {
  return values.filter(Boolean).join(" ").toLowerCase();
}

// --- lists ----------------------------------------------------------------------------------------------------

/* A list page: the first page of `path`, a "Load more" for the next ones, a text filter over the rows loaded. */
async function listView(isCurrent, { title, path, field, filterLabel, columns, tableClass, row, empty }) {
  const tbody = h("tbody", {});
  const filter = filterBox(filterLabel, () => tbody.querySelectorAll("tr"));
  const more = h("button", { type: "button", class: "app-more", hidden: true }, "Load more");
  let token = null;

  async function load() {
    const { data } = await api(withQuery(path, { limit: PAGE_LIMIT, next_token: token }));
    if (!isCurrent()) return;
    for (const item of data[field]) tbody.appendChild(row(item));
    token = data.next_token;
    more.hidden = !token;
    filter.apply();
  }
  more.addEventListener("click", () => load().catch((error) => more.replaceWith(notice("error", errorText(error)))));

  await load();
  if (!isCurrent()) return;
  const header = h("thead", {}, h("tr", {}, columns.map((name) => h("th", { scope: "col" }, name))));
  show(
    h("h1", {}, title),
    tbody.children.length ? [filter.node, h("table", { class: tableClass }, header, tbody), more] : empty,
  );
}

// --- articles -------------------------------------------------------------------------------------------------

function articlesView(isCurrent) {
  return listView(isCurrent, {
    title: "Articles",
    path: "/articles",
    field: "articles",
    filterLabel: "Filter articles",
    columns: ["Status", "Title", "Source", "Date", "Claims"],
    tableClass: "app-articles",
    row: articleRow,
    empty: notice("info", "No articles yet. ", h("a", { href: "#/new" }, "Paste one"), "."),
  });
}

function articleRow(article) {
  const date = article.published_at || article.created_at;
  return h(
    "tr",
    {
      "data-article": article.article_id,
      "data-search": searchText(article.title, article.source, article.status, article.article_id, article.url),
    },
    h("td", {}, statusBadge(article.status)),
    h("td", {}, h("a", { href: articleHref(article.article_id) }, article.title || `Untitled (${article.article_id})`)),
    h("td", {}, article.source || ""),
    h("td", {}, h("time", { datetime: date }, formatDate(date))),
    h("td", { class: "app-number" }, String(article.claim_count)),
  );
}

async function articleView(articleId, claimParam, isCurrent) {
  const { data } = await api(`/articles/${encodeURIComponent(articleId)}`);
  if (!isCurrent()) return;
  const article = data.article;
  if (article.status === "pending") {
    show(
      h("h1", {}, article.title || "Untitled article"),
      notice("pending", statusBadge("pending"), " Extracting the claims… this page updates by itself."),
    );
    // Polls until complete or failed; a navigation elsewhere stops it (isCurrent).
    window.setTimeout(() => {
      if (isCurrent()) articleView(articleId, claimParam, isCurrent).catch(() => route({ moveFocus: false }));
    }, POLL_MS);
    return;
  }
  const container = h("div", { id: "article" });
  if (article.status === "failed") {
    const error = article.error || {};
    show(
      notice("error", statusBadge("failed"), ` Extraction failed: ${error.code || "error"}: ${error.message || ""}`),
      container,
    );
    window.WhosaidViewer.renderArticle(container, article, []);
    return;
  }
  const claims = await allPages(`/articles/${encodeURIComponent(articleId)}/claims`, "claims");
  if (!isCurrent()) return;
  const speakerCount = new Set(claims.map((claim) => window.WhosaidViewer.speakerKey(claim))).size;
  show(
    h(
      "p",
      { class: "app-summary" },
      `${claims.length} ${claims.length === 1 ? "claim" : "claims"} by ${speakerCount} ${speakerCount === 1 ? "speaker" : "speakers"}. `,
      "Hover or focus (Tab) a highlight for its details; Escape hides them.",
    ),
    container,
  );
  const focusClaim = claimParam === null ? undefined : Number(claimParam);
  window.WhosaidViewer.renderArticle(container, article, claims, { focusClaim });
}

// --- speakers -------------------------------------------------------------------------------------------------

function speakersView(isCurrent) {
  return listView(isCurrent, {
    title: "Speakers",
    path: "/speakers",
    field: "speakers",
    filterLabel: "Filter speakers",
    columns: ["Speaker", "Type", "Roles", "Claims", "Articles", "Latest article"],
    tableClass: "app-speakers",
    row: speakerRow,
    empty: notice("info", "No speakers yet: they appear once an article's claims are extracted."),
  });
}

function speakerRow(speaker) {
  const latest = speaker.latest_article;
  return h(
    "tr",
    { "data-speaker": speaker.speaker_id, "data-search": searchText(speaker.name, speaker.type, ...speaker.roles) },
    h("td", {}, h("a", { href: speakerHref(speaker.speaker_id) }, speaker.name)),
    h("td", {}, speaker.type),
    h("td", {}, speaker.roles.join("; ")),
    h("td", { class: "app-number" }, String(speaker.claim_count)),
    h("td", { class: "app-number" }, String(speaker.article_count)),
    h("td", {}, latest ? h("a", { href: articleHref(latest.article_id) }, latest.title || latest.article_id) : ""),
  );
}

async function speakerView(speakerId, isCurrent) {
  const claims = await allPages(`/speakers/${encodeURIComponent(speakerId)}/claims`, "claims");
  if (!isCurrent()) return;
  const name = claims.length ? claims[0].speaker.name : speakerId;
  const roles = [...new Set(claims.map((claim) => claim.speaker.role).filter(Boolean))];
  show(
    h("p", {}, h("a", { href: "#/speakers" }, "← All speakers")),
    h("h1", {}, name),
    roles.length ? h("p", { class: "app-roles" }, roles.join("; ")) : null,
    h("p", {}, `${claims.length} ${claims.length === 1 ? "claim" : "claims"}, newest first.`),
    h("ol", { class: "app-claims" }, claims.map(speakerClaim)),
  );
}

function speakerClaim(claim) {
  return h(
    "li",
    { "data-article": claim.article_id, "data-claim": claim.index },
    h("blockquote", {}, claim.content),
    h(
      "p",
      { class: "app-claim-meta" },
      `${claim.cue} · ${claim.stance} · ${claim.quote_type} · `,
      h("a", { href: articleHref(claim.article_id, claim.index), class: "app-passage" }, claim.article_title || claim.article_id),
      ` · ${formatDate(claim.article_date)}`,
    ),
  );
}

// --- paste an article -----------------------------------------------------------------------------------------

function newView() {
  const title = h("input", { type: "text", id: "new-title", name: "title", maxlength: 1000 });
  const url = h("input", { type: "url", id: "new-url", name: "url", placeholder: "https://" });
  const text = h("textarea", { id: "new-text", name: "text", required: true });
  const submit = h("button", { type: "submit", class: "app-primary" }, "Extract claims");
  const status = h("div", { id: "new-status" });
  const form = h(
    "form",
    { class: "app-form", id: "new-article" },
    h("label", { for: "new-text" }, "Article text"),
    text,
    h("label", { for: "new-title" }, "Title ", h("span", { class: "app-hint" }, "(optional)")),
    title,
    h("label", { for: "new-url" }, "URL ", h("span", { class: "app-hint" }, "(optional)")),
    url,
    h("p", {}, submit),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { text: text.value };
    if (title.value.trim()) body.title = title.value.trim();
    if (url.value.trim()) body.url = url.value.trim();
    submit.disabled = true;
    status.replaceChildren(notice("pending", "Extracting…"));
    try {
      // 201 created, 200 stored before, 202 queued: the article page shows it (and polls while pending).
      const { data } = await api("/articles", { method: "POST", body });
      window.location.hash = articleHref(data.article.article_id);
    } catch (error) {
      if (error instanceof AuthNeeded) keyView(error.message);
      else status.replaceChildren(notice("error", errorText(error)));
    } finally {
      submit.disabled = false;
    }
  });
  show(h("h1", {}, "Paste an article"), form);
}

window.addEventListener("hashchange", () => route());
route({ moveFocus: false });
