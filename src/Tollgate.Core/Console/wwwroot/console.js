// Tollgate's admin console: plain JavaScript over the /manage API. The admin key lives in this module's memory only
// (never in a URL, a cookie or web storage). Every value from the API reaches the page through textContent or
// attributes set one by one, never as HTML.

let adminKey = null;
let currency = "USD";
const charts = [];

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const status = document.getElementById("status");
const signInForm = document.getElementById("sign-in");

// ---- formatting -------------------------------------------------------------------------------------------------

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const money = (value) => {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency, minimumFractionDigits: 2, maximumFractionDigits: 6 }).format(value ?? 0);
  } catch {
    return `${(value ?? 0).toFixed(6)} ${currency}`;
  }
};
const count = (value) => (value === null || value === undefined ? "—" : integer.format(value));
const when = (text) => (text ? new Date(text).toLocaleString() : "—");

// ---- DOM --------------------------------------------------------------------------------------------------------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function table(headers, rows, testId) {
  return el("div", { class: "table-wrap" },
    el("table", { "data-testid": testId },
      el("thead", {}, el("tr", {}, headers.map(([label, numeric]) => el("th", { class: numeric ? "num" : undefined, scope: "col" }, label)))),
      el("tbody", {}, rows.length === 0
        ? el("tr", {}, el("td", { colspan: headers.length, class: "muted" }, "Nothing yet."))
        : rows.map((cells) => el("tr", {}, cells.map((cell, i) => el("td", { class: headers[i][1] ? "num" : undefined }, cell)))))));
}

function say(message, isError = false) {
  status.textContent = message;
  status.className = isError ? "error" : "";
}

function lineChart(id, labels, datasets, type = "line", format = count) {
  const canvas = el("canvas", { id, "aria-label": datasets.map((d) => d.label).join(", "), role: "img" });
  queueMicrotask(() => {
    // Chart.js comes from npm (chart.umd.min.js, loaded before this module runs its views).
    charts.push(new window.Chart(canvas, {
      type,
      data: { labels, datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: format === count ? 0 : undefined, callback: (value) => format(value) } } },
        plugins: { tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${format(item.parsed.y)}` } } },
      },
    }));
  });
  return el("div", { class: "card chart" }, canvas);
}

// ---- API --------------------------------------------------------------------------------------------------------

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) {
    const error = new Error(json?.error?.message ?? `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return json;
}

async function allKeys() {
  const keys = [];
  let token = null;
  do {
    const page = await api("GET", `/manage/keys?page_size=1000${token ? `&continuation_token=${encodeURIComponent(token)}` : ""}`);
    keys.push(...page.data);
    token = page.continuation_token;
  } while (token);
  return keys;
}

async function rollups(scope, id, period, from) {
  const list = await api("GET", `/manage/${scope}/${encodeURIComponent(id)}/rollups?period=${period}&from=${encodeURIComponent(from.toISOString())}`);
  currency = list.currency || currency;
  return list.data;
}

// ---- time buckets -------------------------------------------------------------------------------------------------

function hoursBack(hours) {
  const now = new Date();
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours() - hours + 1));
  return Array.from({ length: hours }, (_, i) => new Date(start.getTime() + i * 3_600_000));
}

function daysOfMonth() {
  const now = new Date();
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  return Array.from({ length: now.getUTCDate() }, (_, i) => new Date(start.getTime() + i * 86_400_000));
}

function series(buckets, rows, pick) {
  const byStart = new Map(rows.map((r) => [new Date(r.start).getTime(), r]));
  return buckets.map((b) => pick(byStart.get(b.getTime())?.total));
}

function addTotals(into, totals) {
  for (const [name, value] of Object.entries(totals ?? {})) into[name] = (into[name] ?? 0) + value;
  return into;
}

// ---- views ------------------------------------------------------------------------------------------------------

async function overview() {
  const keys = await allKeys();
  const hours = hoursBack(48);
  const days = daysOfMonth();
  const perKey = await Promise.all(keys.slice(0, 200).map(async (key) => ({
    key,
    hourly: await rollups("keys", key.id, "hour", hours[0]),
    daily: await rollups("keys", key.id, "day", days[0]),
  })));
  const hourly = hours.map(() => ({ requests: 0, errors: 0 }));
  const daily = days.map(() => ({ cost: 0, tokens: 0, requests: 0, errors: 0 }));
  const byOwner = new Map();
  const byModel = new Map();
  let monthCost = 0, monthTokens = 0, todayCost = 0, todayTokens = 0;
  for (const { key, hourly: h, daily: d } of perKey) {
    series(hours, h, (t) => t).forEach((t, i) => { hourly[i].requests += t?.requests ?? 0; hourly[i].errors += t?.errors ?? 0; });
    series(days, d, (t) => t).forEach((t, i) => {
      const tokens = (t?.prompt_tokens ?? 0) + (t?.completion_tokens ?? 0);
      daily[i].cost += t?.cost ?? 0;
      daily[i].tokens += tokens;
      daily[i].requests += t?.requests ?? 0;
      daily[i].errors += t?.errors ?? 0;
    });
    const month = d.reduce((sum, r) => addTotals(sum, r.total), {});
    key.monthCost = month.cost ?? 0;
    monthCost += key.monthCost;
    monthTokens += (month.prompt_tokens ?? 0) + (month.completion_tokens ?? 0);
    const owner = byOwner.get(key.owner) ?? { cost: 0, tokens: 0 };
    owner.cost += key.monthCost;
    owner.tokens += (month.prompt_tokens ?? 0) + (month.completion_tokens ?? 0);
    byOwner.set(key.owner, owner);
    for (const r of d) {
      for (const [model, t] of Object.entries(r.models ?? {})) {
        const m = byModel.get(model) ?? { cost: 0, tokens: 0, requests: 0 };
        m.cost += t.cost ?? 0; m.tokens += (t.prompt_tokens ?? 0) + (t.completion_tokens ?? 0); m.requests += t.requests ?? 0;
        byModel.set(model, m);
      }
    }
  }
  todayCost = daily.at(-1)?.cost ?? 0;
  todayTokens = daily.at(-1)?.tokens ?? 0;
  const budgetList = await api("GET", "/manage/budgets");
  const budgets = budgetList.data;
  const ownerWindows = new Map(budgetList.accounts.filter((a) => a.scope === "owner").map((a) => [a.subject, a.budget]));
  const top = [...keys].sort((a, b) => (b.monthCost ?? 0) - (a.monthCost ?? 0)).slice(0, 10);
  const hourLabels = hours.map((h) => h.toLocaleString(undefined, { day: "2-digit", hour: "2-digit" }));
  const dayLabels = days.map((d) => d.toLocaleDateString(undefined, { month: "short", day: "numeric" }));
  return [
    el("h1", {}, "Overview"),
    el("div", { class: "grid" },
      el("div", { class: "card" }, el("div", { class: "muted" }, "Spend this month"), el("div", { class: "figure", "data-testid": "month-cost" }, money(monthCost)), el("div", { class: "muted" }, `${count(monthTokens)} tokens`)),
      el("div", { class: "card" }, el("div", { class: "muted" }, "Spend today"), el("div", { class: "figure" }, money(todayCost)), el("div", { class: "muted" }, `${count(todayTokens)} tokens`)),
      el("div", { class: "card" }, el("div", { class: "muted" }, "Keys"), el("div", { class: "figure" }, count(keys.length)),
        el("button", { type: "button", class: "secondary", "data-testid": "aggregate", onclick: runAggregation }, "Run aggregation now"))),
    el("h2", {}, "Requests and errors by hour, last 48 hours"),
    lineChart("chart-hourly", hourLabels, [
      { label: "Requests", data: hourly.map((h) => h.requests), borderColor: "#2457c5", backgroundColor: "#2457c5" },
      { label: "Errors", data: hourly.map((h) => h.errors), borderColor: "#b3261e", backgroundColor: "#b3261e" },
    ]),
    el("h2", {}, "Requests and errors by day, this month"),
    lineChart("chart-daily-requests", dayLabels, [
      { label: "Requests", data: daily.map((d) => d.requests), backgroundColor: "#2457c5" },
      { label: "Errors", data: daily.map((d) => d.errors), backgroundColor: "#b3261e" },
    ], "bar"),
    el("h2", {}, "Spend by day, this month"),
    lineChart("chart-daily", dayLabels, [{ label: `Spend (${currency})`, data: daily.map((d) => d.cost), backgroundColor: "#2457c5" }], "bar", money),
    el("h2", {}, "Top keys by spend this month"),
    table([["Key"], ["Owner"], ["State"], ["Spend", true]], top.map((k) => [el("a", { href: `#/keys/${encodeURIComponent(k.id)}` }, k.name || k.id), k.owner, k.state, money(k.monthCost)]), "top-keys"),
    el("h2", {}, "By owner, this month"),
    table([["Owner"], ["Tokens", true], ["Spend", true], ["Budget"], ["Budget used"]], [...byOwner].map(([owner, o]) => {
      const budget = budgets.find((b) => b.owner === owner)?.budget;
      return [owner, count(o.tokens), money(o.cost), budget ? budgetText(budget) : "—", budget ? used(ownerWindows.get(owner)) : "—"];
    }), "by-owner"),
    el("h2", {}, "By model, this month"),
    table([["Model"], ["Requests", true], ["Tokens", true], ["Spend", true]], [...byModel].map(([model, m]) => [model, count(m.requests), count(m.tokens), money(m.cost)]), "by-model"),
  ];
}

function budgetText(budget) {
  const parts = [];
  if (budget.amount !== null && budget.amount !== undefined) parts.push(money(budget.amount));
  if (budget.tokens !== null && budget.tokens !== undefined) parts.push(`${count(budget.tokens)} tokens`);
  return `${parts.join(" and ")} per ${budget.period} (${budget.mode})`;
}

async function runAggregation() {
  say("Running aggregation…");
  try {
    const run = await api("POST", "/manage/billing/aggregate");
    say(`Aggregation done: ${count(run.pages_read)} pages read, ${count(run.rollups_written)} rollups written.`);
    await route();
  } catch (e) {
    say(e.message, true);
  }
}

async function keysView() {
  const keys = await allKeys();
  budgetUse = new Map((await api("GET", "/manage/budgets")).accounts.filter((a) => a.scope === "key").map((a) => [a.subject, a.budget]));
  const form = el("form", { class: "card", id: "create-key" },
    el("h2", {}, "Create a key"),
    el("label", { for: "new-name" }, "Name"), el("input", { id: "new-name", name: "name", maxlength: 100 }),
    el("label", { for: "new-owner" }, "Owner"), el("input", { id: "new-owner", name: "owner", required: true, maxlength: 100 }),
    el("label", { for: "new-models" }, "Models (comma-separated; empty: all)"), el("input", { id: "new-models", name: "models" }),
    el("label", { for: "new-rpm" }, "Requests per minute"), el("input", { id: "new-rpm", name: "rpm", type: "number", min: 1 }),
    el("label", { for: "new-tpm" }, "Tokens per minute"), el("input", { id: "new-tpm", name: "tpm", type: "number", min: 1 }),
    el("label", { for: "new-budget" }, `Monthly budget (${currency})`), el("input", { id: "new-budget", name: "budget", type: "number", min: 0, step: "any" }),
    el("button", { type: "submit" }, "Create key"),
    el("div", { id: "created" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { owner: data.get("owner") };
    if (data.get("name")) body.name = data.get("name");
    const models = String(data.get("models") ?? "").split(",").map((m) => m.trim()).filter(Boolean);
    if (models.length) body.models = models;
    if (data.get("rpm")) body.requests_per_minute = Number(data.get("rpm"));
    if (data.get("tpm")) body.tokens_per_minute = Number(data.get("tpm"));
    if (data.get("budget")) body.budget = { amount: Number(data.get("budget")), period: "month", mode: "hard" };
    try {
      const created = await api("POST", "/manage/keys", body);
      const secret = el("code", { class: "secret", "data-testid": "secret" }, created.secret);
      const copy = el("button", { type: "button", class: "secondary", "data-testid": "copy-secret", onclick: async () => {
        await navigator.clipboard.writeText(created.secret);
        say("Secret copied.");
      } }, "Copy");
      form.querySelector("#created").replaceChildren(el("p", {}, "The key's secret, shown this once:"), secret, copy);
      const list = document.querySelector("[data-testid=keys] tbody");
      list?.prepend(keyRow(created.key));
      say(`Key ${created.key.id} created.`);
    } catch (e) {
      say(e.message, true);
    }
  });
  const list = table(keyHeaders, [], "keys");
  if (keys.length) list.querySelector("tbody").replaceChildren(...keys.map(keyRow));
  return [el("h1", {}, "Keys"), form, el("h2", {}, "All keys"), list];
}

const keyHeaders = [["Key"], ["Owner"], ["State"], ["Models"], ["RPM", true], ["TPM", true], ["Budget"], ["Budget used"], ["Actions"]];
let budgetUse = new Map();

// "spent of limit" for a budget's current window (money, else tokens).
function used(window) {
  if (!window) return "—";
  return window.amount !== null && window.amount !== undefined
    ? `${money(window.spent)} of ${money(window.amount)}`
    : `${count(window.spent_tokens)} of ${count(window.tokens)} tokens`;
}

function keyRow(key) {
  const actions = el("span", {},
    key.state === "active" ? action("Disable", "disable", key) : null,
    key.state === "disabled" ? action("Enable", "enable", key) : null,
    key.state !== "revoked" ? action("Revoke", "revoke", key, true) : null);
  return el("tr", { "data-key": key.id }, [
    el("td", {}, el("a", { href: `#/keys/${encodeURIComponent(key.id)}` }, key.name || key.id), el("div", { class: "muted" }, key.display_prefix ?? "")),
    el("td", {}, key.owner), el("td", { "data-testid": "state" }, key.state), el("td", {}, key.models?.join(", ") || "all"),
    el("td", { class: "num" }, count(key.requests_per_minute)), el("td", { class: "num" }, count(key.tokens_per_minute)),
    el("td", {}, key.budget ? budgetText(key.budget) : "—"), el("td", { "data-testid": "budget-used" }, key.budget ? used(budgetUse.get(key.id)) : "—"), el("td", {}, actions),
  ]);
}

function action(label, verb, key, confirmFirst = false) {
  return el("button", { type: "button", class: confirmFirst ? "danger" : "secondary", "data-action": verb, onclick: async () => {
    if (confirmFirst && !window.confirm(`${label} key ${key.name || key.id}? This cannot be undone.`)) return;
    try {
      const changed = await api("POST", `/manage/keys/${encodeURIComponent(key.id)}/${verb}`);
      document.querySelector(`tr[data-key="${CSS.escape(key.id)}"]`)?.replaceWith(keyRow(changed));
      say(`Key ${key.id}: ${changed.state}.`);
    } catch (e) {
      say(e.message, true);
    }
  } }, label);
}

async function keyView(id) {
  const key = await api("GET", `/manage/keys/${encodeURIComponent(id)}`);
  const hours = hoursBack(48);
  const hourly = await rollups("keys", id, "hour", hours[0]);
  const days = daysOfMonth();
  const daily = await rollups("keys", id, "day", days[0]);
  const models = new Map();
  for (const r of daily) for (const [model, t] of Object.entries(r.models ?? {})) models.set(model, addTotals(models.get(model) ?? {}, t));
  const recent = await api("GET", `/manage/keys/${encodeURIComponent(id)}/usage?page_size=50`);
  const month = new Date().toISOString().slice(0, 7);
  const statementLines = el("div", { "data-testid": "statement" });
  const showStatement = async (chosen) => {
    try {
      const s = await api("GET", `/manage/keys/${encodeURIComponent(id)}/statement?month=${chosen}`);
      const line = (l) => [l.model, count(l.requests), count(l.errors), count(l.prompt_tokens), count(l.completion_tokens), money(l.cost)];
      statementLines.replaceChildren(
        el("p", { class: "muted" }, `${s.month}, ${s.final ? "final" : "so far"}${s.as_of ? `, as of ${when(s.as_of)}` : ""}; in ${s.currency}.`),
        table([["Model"], ["Requests", true], ["Errors", true], ["Prompt tokens", true], ["Completion tokens", true], ["Cost", true]],
          [...s.lines.map(line), line({ ...s.total, model: "Total" })], "statement-lines"));
    } catch (e) {
      statementLines.replaceChildren(el("p", { class: "error" }, e.message));
    }
  };
  queueMicrotask(() => showStatement(month));
  const statement = el("div", { class: "card" },
    el("label", { for: "statement-month" }, "Statement for month"),
    el("input", { id: "statement-month", type: "month", value: month, onchange: (e) => showStatement(e.target.value || month) }),
    el("button", { type: "button", class: "secondary", "data-testid": "download-csv", onclick: async () => {
      const chosen = document.getElementById("statement-month").value || month;
      const response = await fetch(`/manage/keys/${encodeURIComponent(id)}/statement?month=${chosen}&format=csv`, { headers: { Authorization: `Bearer ${adminKey}` } });
      if (!response.ok) { say(`Statement: ${response.status}`, true); return; }
      const link = el("a", { href: URL.createObjectURL(await response.blob()), download: `statement-${id}-${chosen}.csv` });
      document.body.append(link); link.click(); link.remove();
      say("Statement downloaded.");
    } }, "Download CSV"),
    statementLines);
  return [
    el("h1", {}, `Key ${key.name || key.id}`),
    el("p", { class: "muted" }, `${key.owner} · ${key.state} · created ${when(key.created_at)} · last used ${when(key.last_used_at)}`),
    el("h2", {}, "Requests by hour, last 48 hours"),
    lineChart("chart-key-hourly", hours.map((h) => h.toLocaleString(undefined, { day: "2-digit", hour: "2-digit" })), [
      { label: "Requests", data: series(hours, hourly, (t) => t?.requests ?? 0), borderColor: "#2457c5", backgroundColor: "#2457c5" },
      { label: "Errors", data: series(hours, hourly, (t) => t?.errors ?? 0), borderColor: "#b3261e", backgroundColor: "#b3261e" },
    ]),
    el("h2", {}, "By model, this month"),
    table([["Model"], ["Requests", true], ["Tokens", true], ["Spend", true]], [...models].map(([model, t]) => [model, count(t.requests), count((t.prompt_tokens ?? 0) + (t.completion_tokens ?? 0)), money(t.cost)]), "key-models"),
    el("h2", {}, "Recent requests"),
    table([["Started"], ["Model"], ["Status", true], ["Outcome"], ["Tokens", true], ["Source"], ["First token (ms)", true]],
      recent.data.map((r) => [when(r.started_at), r.requested_model, r.status, r.outcome, count(r.prompt_tokens + r.completion_tokens), r.source,
        r.time_to_first_token_ms === null || r.time_to_first_token_ms === undefined ? "—" : r.time_to_first_token_ms.toFixed(1)]), "recent"),
    el("h2", {}, "Limits and budget"),
    editForm(key),
    el("h2", {}, "Statement"),
    statement,
  ];
}

function editForm(key) {
  const budget = key.budget ?? {};
  const option = (value, current) => el("option", { value, selected: value === current }, value);
  const form = el("form", { class: "card", id: "edit-key" },
    el("label", { for: "edit-models" }, "Models (comma-separated; empty: all)"), el("input", { id: "edit-models", name: "models", value: key.models?.join(", ") ?? "" }),
    el("label", { for: "edit-rpm" }, "Requests per minute (empty: none)"), el("input", { id: "edit-rpm", name: "rpm", type: "number", min: 1, value: key.requests_per_minute ?? "" }),
    el("label", { for: "edit-tpm" }, "Tokens per minute (empty: none)"), el("input", { id: "edit-tpm", name: "tpm", type: "number", min: 1, value: key.tokens_per_minute ?? "" }),
    el("label", { for: "edit-amount" }, `Budget amount (${currency}; empty: none)`), el("input", { id: "edit-amount", name: "amount", type: "number", min: 0, step: "any", value: budget.amount ?? "" }),
    el("label", { for: "edit-tokens" }, "Budget tokens (empty: none)"), el("input", { id: "edit-tokens", name: "tokens", type: "number", min: 0, value: budget.tokens ?? "" }),
    el("label", { for: "edit-period" }, "Budget period"), el("select", { id: "edit-period", name: "period" }, ["month", "day", "week", "credit"].map((p) => option(p, budget.period ?? "month"))),
    el("label", { for: "edit-mode" }, "Budget mode"), el("select", { id: "edit-mode", name: "mode" }, ["hard", "soft"].map((m) => option(m, budget.mode ?? "hard"))),
    el("button", { type: "submit" }, "Save"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const number = (name) => (data.get(name) === "" ? null : Number(data.get(name)));
    const models = String(data.get("models") ?? "").split(",").map((m) => m.trim()).filter(Boolean);
    const changes = {
      models: models.length ? models : null,
      requests_per_minute: number("rpm"),
      tokens_per_minute: number("tpm"),
      budget: number("amount") === null && number("tokens") === null ? null : {
        ...(number("amount") === null ? {} : { amount: number("amount") }),
        ...(number("tokens") === null ? {} : { tokens: number("tokens") }),
        period: data.get("period"),
        mode: data.get("mode"),
      },
    };
    try {
      await api("PATCH", `/manage/keys/${encodeURIComponent(key.id)}`, changes);
      say(`Key ${key.id} saved.`);
      await route();
    } catch (e) {
      say(e.message, true);
    }
  });
  return form;
}

async function budgetsView() {
  const list = await api("GET", "/manage/budgets");
  const amount = (value) => (value === null || value === undefined ? "—" : money(value));
  return [el("h1", {}, "Budgets"),
    el("p", { class: "muted" }, "Each budget's current window: spent by finished requests, held by requests in flight and instances' allowances, and what is left."),
    table([["Whose"], ["Owner"], ["Period"], ["Mode"], ["Limit", true], ["Spent", true], ["Held", true], ["Left", true], ["Tokens: limit", true], ["spent", true], ["left", true], ["Resets"]],
      list.accounts.map((a) => [
        a.scope === "key" ? el("a", { href: `#/keys/${encodeURIComponent(a.subject)}` }, `key ${a.subject}`) : `owner ${a.subject}`,
        a.owner, a.budget.period, a.budget.mode, amount(a.budget.amount), money(a.budget.spent), money(a.budget.held), amount(a.budget.remaining),
        count(a.budget.tokens), count(a.budget.spent_tokens), count(a.budget.remaining_tokens), when(a.budget.resets_at)]), "budgets")];
}

async function monthRollups(keys) {
  const start = daysOfMonth()[0];
  return (await Promise.all(keys.slice(0, 200).map((key) => rollups("keys", key.id, "month", start)))).flat();
}

async function pricesView() {
  const prices = await api("GET", "/manage/prices");
  currency = prices.currency || currency;
  const unpriced = new Map();
  for (const r of await monthRollups(await allKeys())) {
    for (const [model, t] of Object.entries(r.models ?? {})) {
      if (t.unpriced_requests > 0) unpriced.set(model, (unpriced.get(model) ?? 0) + t.unpriced_requests);
    }
  }
  const now = Date.now();
  return [el("h1", {}, "Prices"),
    el("p", { class: "muted" }, `In ${prices.currency}, per million tokens; unpriced models ${prices.allow_unpriced ? "are served" : "are refused"}.`),
    table([["Model"], ["Upstream"], ["From"], ["Input", true], ["Cached", true], ["Output", true], ["Per request", true], ["Status"]],
      prices.data.map((p) => [p.model, p.upstream ?? "any", when(p.effective_from), p.input_per_million, p.cached_input_per_million ?? "—",
        p.output_per_million, p.per_request, p.in_effect ? "in effect" : new Date(p.effective_from).getTime() > now ? "future" : "superseded"]), "prices"),
    el("h2", {}, "Models served without a price this month"),
    table([["Model"], ["Requests", true]], [...unpriced].map(([model, n]) => [model, count(n)]), "unpriced")];
}

async function deploymentsView() {
  const deployments = await api("GET", "/manage/deployments");
  return [el("h1", {}, "Deployments"),
    table([["Deployment"], ["Upstream"], ["Model"], ["State"], ["Circuit"], ["Routes"]],
      (deployments.data ?? []).map((d) => [d.name, d.upstream, d.model, d.state, d.circuit,
        (d.routes ?? []).map((r) => `${r.model} (priority ${r.priority}, weight ${r.weight})`).join(", ")]), "deployments")];
}

// ---- routing ----------------------------------------------------------------------------------------------------

const views = { overview, keys: keysView, budgets: budgetsView, prices: pricesView, deployments: deploymentsView };

async function route() {
  if (!adminKey) return;
  const [, name = "overview", id] = (location.hash || "#/overview").split("/");
  for (const link of nav.querySelectorAll("a")) link.toggleAttribute("aria-current", link.getAttribute("href") === `#/${name}`);
  for (const link of nav.querySelectorAll("a[aria-current]")) link.setAttribute("aria-current", "page");
  while (charts.length) charts.pop().destroy();
  main.replaceChildren(el("p", { class: "muted" }, "Loading…"));
  try {
    const nodes = name === "keys" && id ? await keyView(decodeURIComponent(id)) : await (views[name] ?? overview)();
    main.replaceChildren(...nodes);
    main.setAttribute("data-view", name === "keys" && id ? "key" : name);
  } catch (e) {
    if (e.status === 401 || e.status === 403) return signOut("The admin key was refused.");
    main.replaceChildren(el("p", { class: "error", role: "alert" }, e.message));
  }
}

function signOut(message = "") {
  adminKey = null;
  while (charts.length) charts.pop().destroy();
  nav.hidden = true;
  main.removeAttribute("data-view");
  main.replaceChildren(signInForm);
  signInForm.reset();
  document.getElementById("sign-in-error").textContent = message;
  say("");
}

signInForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = document.getElementById("admin-key");
  adminKey = input.value.trim();
  input.value = "";
  try {
    await api("GET", "/manage/budgets");
  } catch (e) {
    return signOut(e.status === 401 || e.status === 403 ? "That admin key was refused." : e.message);
  }
  nav.hidden = false;
  if (!location.hash) location.hash = "#/overview";
  await route();
});
document.getElementById("sign-out").addEventListener("click", () => signOut());
window.addEventListener("hashchange", route);
