// Drives the admin console in a real Chromium, end to end: sign in, create a key and copy its secret, send traffic
// through the gateway with it, run the aggregation from the page, see the charts and tables show the traffic, revoke
// the key and see the gateway refuse it. Prints one JSON line of what it saw; exits 1 on the first failure.
// Environment: BASE_URL (ends with /), ADMIN_KEY, CHROMIUM (the browser's path), SCREENSHOTS (a folder, optional).
import puppeteer from "puppeteer-core";

const { BASE_URL, ADMIN_KEY, CHROMIUM, SCREENSHOTS } = process.env;
const seen = { steps: [] };
const fail = (message) => { throw new Error(message); };
const step = (name) => seen.steps.push(name);

const browser = await puppeteer.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const origin = new URL(BASE_URL).origin;
  await browser.defaultBrowserContext().overridePermissions(origin, ["clipboard-read", "clipboard-write", "clipboard-sanitized-write"]);
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("dialog", (dialog) => dialog.accept());
  const shot = async (name) => { if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/console-${name}.png`, fullPage: true }); };
  const show = async (hash, view) => {
    await page.evaluate((h) => { location.hash = h; }, hash);
    await page.waitForSelector(`main[data-view="${view}"]`, { timeout: 20_000 });
  };

  // Sign in: a wrong key is refused, the right one opens the overview.
  await page.goto(`${BASE_URL}console/`, { waitUntil: "load" });
  await page.type("#admin-key", "tg-admin-wrong");
  await page.click("#sign-in button[type=submit]");
  await page.waitForFunction(() => document.getElementById("sign-in-error").textContent.length > 0);
  problems.length = 0; // the browser logs the refused request (401) as a console error: expected here
  await page.type("#admin-key", ADMIN_KEY);
  await page.click("#sign-in button[type=submit]");
  await page.waitForSelector('main[data-view="overview"]', { timeout: 20_000 });
  if (await page.evaluate(() => location.href.includes("tg-admin"))) fail("the admin key is in the URL");
  if (await page.evaluate(() => sessionStorage.length + localStorage.length + document.cookie.length) !== 0) fail("something was stored");
  step("signed in");

  // Create a key whose name is markup: it must show as text.
  await show("#/keys", "keys");
  await page.type("#new-name", "<b>browser</b> key");
  await page.type("#new-owner", "team-browser");
  await page.type("#new-rpm", "1000");
  await page.click("#create-key button[type=submit]");
  await page.waitForSelector("[data-testid=secret]", { timeout: 20_000 });
  const secret = await page.$eval("[data-testid=secret]", (e) => e.textContent);
  await page.click("[data-testid=copy-secret]");
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  if (copied !== secret) fail("the copy button did not copy the secret");
  const keyId = await page.$eval("[data-testid=keys] tbody tr", (row) => row.getAttribute("data-key"));
  const nameCell = await page.$eval(`[data-testid=keys] tbody tr[data-key="${keyId}"] td a`, (a) => ({ text: a.textContent, bold: a.querySelector("b") !== null }));
  if (nameCell.text !== "<b>browser</b> key" || nameCell.bold) fail(`the key's name was not escaped: ${JSON.stringify(nameCell)}`);
  seen.keyId = keyId;
  seen.secretPrefix = secret.slice(0, 3);
  step("created a key and copied its secret");
  await shot("keys");

  // Traffic through the gateway with the new key.
  const chat = (key) => fetch(`${BASE_URL}v1/chat/completions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model: "gpt-test", max_completion_tokens: 20, messages: [{ role: "user", content: "hello from the console test" }] }),
  });
  for (let i = 0; i < 3; i++) {
    const response = await chat(secret);
    if (response.status !== 200) fail(`traffic answered ${response.status}`);
    await response.text();
  }
  step("sent three requests");

  // Roll usage up from the page, then the overview and the key's page show it.
  await show("#/overview", "overview");
  await new Promise((r) => setTimeout(r, 1500)); // the ledger writes its records (flush interval 200 ms)
  await page.click("[data-testid=aggregate]");
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Aggregation done"), { timeout: 30_000 });
  await page.waitForSelector('main[data-view="overview"] #chart-hourly', { timeout: 20_000 });
  const overview = await page.evaluate(() => ({
    requests: window.Chart.getChart("chart-hourly").data.datasets[0].data.reduce((a, b) => a + b, 0),
    topKeys: [...document.querySelectorAll("[data-testid=top-keys] tbody tr")].map((r) => r.textContent),
    models: [...document.querySelectorAll("[data-testid=by-model] tbody tr td:first-child")].map((c) => c.textContent),
  }));
  if (overview.requests < 3) fail(`the hourly chart shows ${overview.requests} requests`);
  if (!overview.models.includes("gpt-test")) fail(`by model: ${overview.models}`);
  seen.overviewRequests = overview.requests;
  step("overview shows the traffic");
  await shot("overview");

  await show(`#/keys/${encodeURIComponent(keyId)}`, "key");
  const keyPage = await page.evaluate(() => ({
    requests: window.Chart.getChart("chart-key-hourly").data.datasets[0].data.reduce((a, b) => a + b, 0),
    recent: [...document.querySelectorAll("[data-testid=recent] tbody tr")].map((r) => [...r.children].map((c) => c.textContent)),
    models: [...document.querySelectorAll("[data-testid=key-models] tbody tr td:first-child")].map((c) => c.textContent),
  }));
  if (keyPage.requests !== 3) fail(`the key's chart shows ${keyPage.requests} requests`);
  if (keyPage.recent.filter((r) => r[2] === "200" && r[3] === "Completed").length !== 3) fail(`recent requests: ${JSON.stringify(keyPage.recent)}`);
  if (!keyPage.models.includes("gpt-test")) fail(`the key's models: ${keyPage.models}`);
  seen.keyRequests = keyPage.requests;
  step("the key's page shows its requests");
  await shot("key");

  // Edit its limits and budget on its page; the budgets view shows the budget's account.
  await page.$eval("#edit-rpm", (e) => { e.value = ""; });
  await page.type("#edit-rpm", "500");
  await page.type("#edit-amount", "25");
  await page.click("#edit-key button[type=submit]");
  await page.waitForFunction(() => document.getElementById("status").textContent.endsWith("saved."), { timeout: 20_000 });
  await page.waitForSelector('main[data-view="key"] #edit-rpm', { timeout: 20_000 });
  const edited = await page.$eval("#edit-rpm", (e) => e.value);
  if (edited !== "500") fail(`requests per minute after saving: ${edited}`);
  await show("#/budgets", "budgets");
  const budgetRow = await page.evaluate((id) => [...document.querySelectorAll("[data-testid=budgets] tbody tr")]
    .map((r) => [...r.children].map((c) => c.textContent)).find((cells) => cells[0] === `key ${id}`), keyId);
  if (!budgetRow || !budgetRow[4].includes("25")) fail(`budgets: ${JSON.stringify(budgetRow)}`);
  await show("#/keys", "keys");
  const use = await page.$eval(`[data-testid=keys] tbody tr[data-key="${keyId}"] [data-testid=budget-used]`, (c) => c.textContent);
  if (!use.includes("of") || !use.includes("25")) fail(`budget used: ${use}`);
  step("edited limits and budget; the budgets view shows it");
  await shot("budgets");

  // The statement downloads as CSV (fetched with the bearer header, never a key in the URL).
  await show(`#/keys/${encodeURIComponent(keyId)}`, "key");
  const csv = await page.evaluate(async (id) => {
    let captured = null;
    const original = URL.createObjectURL;
    URL.createObjectURL = (blob) => { captured = blob; return original(blob); };
    document.querySelector("[data-testid=download-csv]").click();
    for (let i = 0; i < 100 && !captured; i++) await new Promise((r) => setTimeout(r, 50));
    URL.createObjectURL = original;
    return captured ? await captured.text() : null;
  }, keyId);
  if (!csv || !csv.includes("gpt-test")) fail(`statement CSV: ${csv?.slice(0, 200)}`);
  await page.waitForSelector("[data-testid=statement-lines] tbody tr", { timeout: 20_000 });
  const statementModels = await page.$$eval("[data-testid=statement-lines] tbody tr td:first-child", (cells) => cells.map((c) => c.textContent));
  if (!statementModels.includes("gpt-test") || !statementModels.includes("Total")) fail(`statement lines: ${statementModels}`);
  step("downloaded the statement as CSV");

  for (const [hash, view] of [["#/prices", "prices"], ["#/deployments", "deployments"]]) {
    await show(hash, view);
  }
  const deploymentRows = await page.$$eval("[data-testid=deployments] tbody tr", (rows) => rows.length);
  if (deploymentRows < 1) fail("no deployments shown");
  step("prices and deployments");

  // Revoke (confirmed in the dialog): the gateway refuses the key.
  await show("#/keys", "keys");
  await page.click(`[data-testid=keys] tbody tr[data-key="${keyId}"] button[data-action=revoke]`);
  await page.waitForFunction((id) => document.querySelector(`tr[data-key="${id}"] [data-testid=state]`)?.textContent === "revoked", { timeout: 20_000 }, keyId);
  let refused = 0;
  for (let i = 0; i < 50 && refused !== 401; i++) {
    const response = await chat(secret);
    refused = response.status;
    await response.text();
    if (refused !== 401) await new Promise((r) => setTimeout(r, 200));
  }
  if (refused !== 401) fail(`a revoked key answered ${refused}`);
  seen.revokedStatus = refused;
  step("revoked; the gateway refuses the key");

  // At a phone's width the page still lays out without horizontal scrolling of the body.
  await page.setViewport({ width: 390, height: 844 });
  await show("#/overview", "overview");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (overflow > 0) fail(`the page is ${overflow}px wider than a phone`);
  await shot("phone");
  step("fits a phone");

  // Sign out forgets the key.
  await page.click("#sign-out");
  await page.waitForSelector("#sign-in");
  step("signed out");

  if (problems.length) fail(problems.join("; "));
  console.log(JSON.stringify({ ok: true, ...seen }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: e.message, ...seen }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
