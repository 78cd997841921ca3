// A small campaign end to end in a real browser against the sandbox demo: the audience divided
// before sending (who is left out and why), a sample message, sending at once, counters and
// the funnel following live, a STOP that opts the customer out (and shows on their contact
// page), an agent held to their consent, and what the demo's campaign cost.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, screenshot, signedInPage, startParley, team } from "./harness.mjs";

const AMIRA = { name: "Amira Haddad", waId: "15550100001" };

let parley;
let browser;

before(async () => {
  parley = await startParley();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await parley?.stop();
});

const signedIn = (who) => signedInPage(browser, parley.url, who);

test("an admin previews, sends and follows a campaign; STOP opts the customer out", async () => {
  const { page, errors } = await signedIn(team.admin);
  await page.getByRole("link", { name: "Campaigns" }).click();
  await page.waitForURL(`${parley.url}/campaigns`);
  // The demo's own campaign runs through the simulator at start-up: wait until it is done.
  const seeded = page.locator("tr", { hasText: "Spring sale 🌷" });
  for (let attempt = 0; ; attempt++) {
    await page.reload();
    await page.waitForSelector("body[data-hydrated=true]");
    if ((await seeded.count()) && /Completed/.test(await seeded.textContent())) break;
    if (attempt > 40) throw new Error("the demo campaign did not complete");
    await page.waitForTimeout(500);
  }
  await screenshot(page, "campaigns-list");

  await page.locator("summary", { hasText: "New campaign" }).click();
  await page.getByLabel("Name").fill("Flash sale");
  await page.getByLabel("Template").selectOption({ label: "spring_sale (en_US, marketing)" });
  await page.locator(".label-choice", { hasText: "sales lead" }).locator("input").check();
  // The audience, divided: Amira and Inês opted in; Jonas never did.
  const counts = page.locator(".campaign-preview .audience-counts");
  await counts.locator('[data-count="total"]').filter({ hasText: "3" }).waitFor();
  assert.equal(await counts.locator('[data-count="eligible"]').textContent(), "2");
  assert.equal(await counts.locator('[data-count="no-consent"]').textContent(), "1");
  assert.match(await page.locator(".sample-message").textContent(), /spring sale is on/);
  await screenshot(page, "campaign-editor");

  await page.getByRole("button", { name: "Save and send now" }).click();
  await page.waitForURL(/\/campaigns\/\d+$/);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.getByRole("heading", { name: /Flash sale/ }).waitFor();
  // Counters follow the campaign as the simulated customer receives and reads it.
  await page.locator('[data-funnel="delivered"]').filter({ hasText: "1" }).waitFor({ timeout: 20000 });
  await page.locator('[data-state="completed"]').waitFor({ timeout: 20000 });
  await page.locator('[data-funnel="read"]').filter({ hasText: "1" }).waitFor({ timeout: 20000 });
  // Inês's number is not on WhatsApp: Meta's failure, with what it means.
  await page.locator('[data-funnel="failed"]').filter({ hasText: "1" }).waitFor({ timeout: 20000 });
  assert.match(await page.locator("table.failures-table").textContent(), /131026.*Not on WhatsApp/);
  await page.getByLabel("Show").selectOption("skipped");
  await page.waitForFunction(() => document.querySelectorAll("table.recipients-table tbody tr").length === 1);
  assert.match(await page.locator("table.recipients-table tbody tr").textContent(), /Jonas Weber.*no marketing consent/);
  await screenshot(page, "campaign-funnel");

  // STOP opts her out, which her contact page shows with the evidence.
  await parley.customerWrites(AMIRA.waId, { type: "text", text: { body: "Stop!" } });
  await page.getByLabel("Show").selectOption("");
  await page.locator("table.recipients-table a", { hasText: AMIRA.name }).click();
  await page.waitForURL(/\/contacts\/\d+$/);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.locator('.consent-state[data-consent="opted_out"]').waitFor({ timeout: 15000 });
  assert.match(await page.locator(".consent-ledger li").first().textContent(), /opt-out keyword/);
  await screenshot(page, "contact-consent");

  // An admin records a new opt-in by hand: the ledger grows, the old lines stay.
  await page.getByLabel("What they said, and where").fill("Asked for offers again by phone");
  await page.getByRole("button", { name: "Record opt-in" }).click();
  await page.locator('.consent-state[data-consent="opted_in"]').waitFor();
  assert.ok((await page.locator(".consent-ledger li").count()) >= 3);
  assert.deepEqual(errors, []);
});

test("an admin reaches the contacts of a CSV file", async () => {
  const { page, errors } = await signedIn(team.admin);
  await page.goto(`${parley.url}/campaigns`);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.locator("summary", { hasText: "New campaign" }).click();
  await page.getByLabel("Name").fill("Fair leads");
  await page.getByLabel("Template").selectOption({ label: "hello_world (en_US, utility)" });
  await page.getByLabel("The contacts of a CSV file").check();
  await page.getByLabel("Label them").fill("fair-leads");
  const csv = ["name,phone,consent", "Lea Fair,+15557000001,yes", "Max Fair,+15557000002,no", "No Phone,,yes"].join("\n");
  await page.locator("#campaign-file").setInputFiles({ name: "fair.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.getByText("Imported: 2 new, 0 updated, 1 refused.", { exact: false }).waitFor();
  // A utility template needs no consent: both imported contacts are eligible.
  const counts = page.locator(".campaign-preview .audience-counts");
  await counts.locator('[data-count="total"]').filter({ hasText: "2" }).waitFor();
  assert.equal(await counts.locator('[data-count="eligible"]').textContent(), "2");
  await page.getByRole("button", { name: "Save as draft" }).click();
  await page.waitForURL(/\/campaigns\/\d+$/);
  await page.getByText("Contacts labelled fair-leads").waitFor();
  assert.deepEqual(errors, []);
});

test("an admin sees what the demo's campaign cost and downloads it as CSV", async () => {
  const { page, errors } = await signedIn(team.admin);
  await page.getByRole("link", { name: "Costs" }).click();
  await page.waitForURL(`${parley.url}/reports/costs`);
  await page.waitForSelector("body[data-hydrated=true]");
  // The demo's rate card, and its spring sale priced as marketing.
  await page.locator("table.rate-card tr", { hasText: "marketing" }).first().waitFor();
  await page.getByLabel("Group by").selectOption("campaign");
  const sale = page.locator("table.spend tbody tr", { hasText: "Spring sale" });
  await sale.waitFor();
  assert.match(await sale.textContent(), /USD/);
  await screenshot(page, "costs");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Export CSV" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), "costs-by-campaign.csv");
  const { readFile } = await import("node:fs/promises");
  const csv = await readFile(await download.path(), "utf8");
  assert.match(csv.split("\r\n")[0], /^campaign,name,messages,billable,free,unpriced,cost,currency$/);
  assert.match(csv, /Spring sale/);

  // An admin replaces the card from a CSV file: a bad rate is named and nothing changes.
  await page.locator("#rate-card-csv").fill("country,category,rate,effective_from\nUS,marketing,0,05,2025-07-01");
  await page.getByRole("button", { name: "Replace rate card" }).click();
  await page.locator(".rate-card-import [role=alert]").filter({ hasText: "rate 1" }).waitFor();
  await page.locator("#rate-card-csv").fill("country,category,rate,effective_from\nUS,marketing,0.05,2025-07-01");
  await page.getByRole("button", { name: "Replace rate card" }).click();
  await page.locator(".rate-card-import [role=status]").filter({ hasText: "Saved: 1 rates." }).waitFor();
  await page.locator("table.rate-card tbody tr").filter({ hasText: "0.05" }).waitFor();
  assert.equal(await page.locator("table.rate-card tbody tr").count(), 1);
  // The spring sale repriced at the new rate: each billable US message at 0.05.
  const repriced = page.locator("table.spend tbody tr", { hasText: "Spring sale" });
  await repriced.filter({ hasText: "USD" }).waitFor();
  const cells = repriced.locator("td");
  const billable = Number(await cells.nth(1).textContent());
  const cost = parseFloat(await cells.nth(4).textContent());
  assert.ok(billable > 0);
  assert.ok(Math.abs(cost - billable * 0.05) < 1e-9, `${billable} messages cost ${cost}`);

  // A single rate added in the form, then removed.
  await page.locator("#rate-country").fill("IN");
  await page.locator("#rate-category").selectOption("utility");
  await page.locator("#rate-value").fill("0.0014");
  await page.locator("#rate-from").fill("2026-07-01");
  await page.getByRole("button", { name: "Save rate" }).click();
  const india = page.locator("table.rate-card tbody tr", { hasText: "0.0014" });
  await india.waitFor();
  assert.equal(await page.locator("table.rate-card tbody tr").count(), 2);
  // A volume tier beside it: cheaper once the month has had 100,000.
  await page.locator("#rate-country").fill("IN");
  await page.locator("#rate-category").selectOption("utility");
  await page.locator("#rate-from").fill("2026-07-01");
  await page.locator("#rate-value").fill("0.0012");
  await page.locator("#rate-volume").fill("100000");
  await page.getByRole("button", { name: "Save rate" }).click();
  const tier = page.locator("table.rate-card tbody tr", { hasText: "100000" });
  await tier.waitFor();
  assert.equal(await page.locator("table.rate-card tbody tr").count(), 3);
  const card = await parley.api("GET", "/rate_card");
  assert.ok(card.rates.some((rate) => rate.volume_from === 100000 && rate.rate === "0.0012"), JSON.stringify(card));
  await page.getByRole("button", { name: "Remove the utility rate for IN past 100000" }).click();
  await tier.waitFor({ state: "detached" });
  await page.getByRole("button", { name: "Remove the utility rate for IN", exact: true }).click();
  await india.waitFor({ state: "detached" });
  assert.equal(await page.locator("table.rate-card tbody tr").count(), 1);
  assert.deepEqual(errors, []);

  const agent = await signedIn(team.agent);
  assert.equal(await agent.page.getByRole("link", { name: "Costs" }).count(), 0);
  const response = await agent.page.goto(`${parley.url}/reports/costs`);
  assert.equal(response.status(), 403);
});
