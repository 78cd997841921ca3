// The reports page in a real browser against the sandbox demo, whose first start seeds four
// weeks of the team's past work: the figures, the server-drawn charts (loaded as images, with
// their numbers in tables), the per-member table exported as CSV, and an agent held to their
// own figures.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { launchBrowser, screenshot, signedInPage, startParley, team } from "./harness.mjs";

let parley;
let browser;

before(async () => {
  parley = await startParley();
  browser = await launchBrowser();
  // The demo's history is seeded once its first live customers have written in.
  for (let attempt = 0; ; attempt++) {
    const summary = await parley.api("GET", "/reports/summary");
    if (summary.conversations_resolved >= 20) break;
    if (attempt > 300) throw new Error(`no seeded history: ${JSON.stringify(summary)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

after(async () => {
  await browser?.close();
  await parley?.stop();
});

const signedIn = (who) => signedInPage(browser, parley.url, who);

const figure = (page, name) => page.locator(".report-figures .figure", { hasText: name }).locator("dd");

test("an admin reads the team's reports, charts and all, and downloads a table", async () => {
  const { page, errors } = await signedIn(team.admin);
  await page.getByRole("link", { name: "Reports", exact: true }).click();
  await page.waitForURL(`${parley.url}/reports`);
  await page.waitForSelector("body[data-hydrated=true]");
  const resolved = Number(await figure(page, "Conversations resolved").textContent());
  assert.ok(resolved >= 20, `resolved: ${resolved}`);
  assert.match(await figure(page, "First response").textContent(), /median/);
  assert.ok(Number(await figure(page, "Windows lapsed unanswered").textContent()) >= 1);
  // Both charts are SVG the server drew, and they loaded.
  for (const chart of await page.locator("img.report-chart").all()) {
    await chart.evaluate((img) => img.decode());
    assert.ok(await chart.evaluate((img) => img.naturalWidth > 0), await chart.getAttribute("src"));
  }
  const bo = page.locator("table[aria-label='Per member'] tbody tr", { hasText: team.agent.name });
  await bo.waitFor();
  const boReplies = Number(await bo.locator("td").nth(1).textContent());
  assert.ok(boReplies > 0, "Bo answered some of the seeded customers");
  await screenshot(page, "reports");

  // Another chart: the median first response per day, its numbers in the table beside it.
  await page.getByLabel("Show").selectOption("first_response_p50");
  await page.locator("img.report-chart[src*='first_response_p50']").waitFor();
  await page.getByText("The numbers").first().click();
  await page.locator("table[aria-label='First response (median)'] td", { hasText: /\dm/ }).first().waitFor();

  // Narrowed to the last 7 days, the member table downloads as CSV.
  await page.getByRole("button", { name: "Last 7 days" }).click();
  await page.waitForFunction(() => document.querySelector("input[name=from]").value !== "");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.locator("section[aria-labelledby=per-member]").getByRole("link", { name: "Export CSV" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), "report-agents.csv");
  assert.match(download.url(), /from=\d{4}-\d\d-\d\d/);
  const csv = await readFile(await download.path(), "utf8");
  assert.match(csv.split("\r\n")[0], /^agent_id,name,assigned,replies,first_responses,/);
  assert.match(csv, /Bo Agent/);

  // Narrowed to the conversations the demo's campaign reached: its messages count as sent.
  await page.getByLabel("Campaign").selectOption({ label: "Spring sale 🌷" });
  await page.waitForFunction(() => /campaign_id=\d+/.test(document.querySelector("img.report-chart").src));
  assert.ok(Number(await figure(page, "Messages out").textContent()) > 0);
  assert.deepEqual(errors, []);
});

test("an agent's reports are their own", async () => {
  const { page, errors } = await signedIn(team.agent);
  await page.goto(`${parley.url}/reports`);
  await page.waitForSelector("body[data-hydrated=true]");
  const rows = page.locator("table[aria-label='Per member'] tbody tr");
  await rows.first().waitFor();
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().textContent(), /Bo Agent/);
  assert.equal(await page.getByLabel("Member", { exact: true }).count(), 0, "no choosing someone else");
  const response = await page.goto(`${parley.url}/reports/costs`);
  assert.equal(response.status(), 403);
  assert.deepEqual(errors, []);
});

test("an admin sets business hours, and reports count waits in them", async () => {
  const { page, errors } = await signedIn(team.admin);
  await page.goto(`${parley.url}/admin/teams`);
  await page.waitForSelector("body[data-hydrated=true]");
  const hours = page.locator("section.business-hours");
  // The demo shop's hours: Berlin, weekdays and Saturday mornings.
  await hours.getByLabel("Saturday").waitFor();
  assert.equal(await hours.getByLabel("Time zone").inputValue(), "Europe/Berlin");
  assert.equal(await hours.getByLabel("Saturday").inputValue(), "10:00-14:00");
  // A time that is no time is refused with what is wrong; closing Saturdays is saved.
  await hours.getByLabel("Friday").fill("08:00-25:00");
  await hours.getByRole("button", { name: "Save business hours" }).click();
  await hours.getByRole("alert").filter({ hasText: "friday" }).waitFor();
  await hours.getByLabel("Friday").fill("08:00-18:00");
  await hours.getByLabel("Saturday").fill("");
  await hours.getByRole("button", { name: "Save business hours" }).click();
  await hours.getByRole("status").filter({ hasText: "Saved" }).waitFor();
  const saved = await parley.api("GET", "/business-hours");
  assert.deepEqual(saved.hours.saturday, []);
  assert.deepEqual(saved.hours.friday, [{ opens: "08:00", closes: "18:00" }]);

  // The Support team gets hours of its own (Sundays too), then follows the workspace again.
  const support = (await parley.api("GET", "/teams")).find((t) => t.name === "Support");
  await hours.getByLabel("Hours of").selectOption({ label: "Support" });
  await hours.getByRole("status").filter({ hasText: "follows the workspace's hours" }).waitFor();
  await hours.getByLabel("Sunday").fill("10:00-16:00");
  await hours.getByRole("button", { name: "Save business hours" }).click();
  await hours.getByRole("status").filter({ hasText: "Saved" }).waitFor();
  const own = await parley.api("GET", `/teams/${support.id}/business-hours`);
  assert.equal(own.own, true);
  assert.deepEqual(own.hours.hours.sunday, [{ opens: "10:00", closes: "16:00" }]);
  await hours.getByRole("button", { name: "Use the workspace's hours" }).click();
  await hours.getByRole("status").filter({ hasText: "follows the workspace's hours" }).waitFor();
  assert.equal((await parley.api("GET", `/teams/${support.id}/business-hours`)).own, false);

  await page.goto(`${parley.url}/reports`);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.getByText("Times in Europe/Berlin.").waitFor();
  await page.getByLabel("Business hours only").check();
  await page.getByText("waits count business hours only").waitFor();
  assert.match(await figure(page, "First response").textContent(), /median/);
  assert.deepEqual(errors, []);
});
