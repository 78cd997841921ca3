// Business numbers in a real browser against the sandbox: the numbers with their health, a
// number's history (the demo's flag and unflag), the business profile edited within Meta's
// rules and previewed, and a quality drop at Meta raising the admins' banner live.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, screenshot, signedInPage, startParley, team } from "./harness.mjs";

const SUPPORT = "1100000000002";

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

test("an admin reads a number's health and history and edits its business profile", async () => {
  const { page, errors } = await signedIn(team.admin);
  await page.getByRole("link", { name: "Numbers" }).click();
  await page.waitForURL(`${parley.url}/admin/numbers`);
  await page.waitForSelector("body[data-hydrated=true]");
  const rows = page.locator("table.number-table tbody tr");
  await rows.nth(1).waitFor();
  assert.equal(await rows.count(), 2);
  const support = page.locator(`tr[data-number="${SUPPORT}"]`);
  assert.match(await support.textContent(), /Parley Demo Support/);
  assert.match(await support.textContent(), /250 customers \/ 24 h/);
  assert.match(await support.textContent(), /STANDARD · 80 msg\/s/);
  await page.locator(".subscription-state").filter({ hasText: "sends its webhooks to: Parley" }).waitFor();
  await screenshot(page, "numbers-list");

  await support.getByRole("link").click();
  await page.waitForURL(`${parley.url}/admin/numbers/${SUPPORT}`);
  await page.waitForSelector("body[data-hydrated=true]");
  // The demo's start: Meta flagged the number, then unflagged it (both by webhook).
  const history = page.locator("table.number-history");
  await history.locator("tr", { hasText: "FLAGGED" }).first().waitFor();
  assert.match(await history.textContent(), /Meta's webhook/);
  assert.match(await history.textContent(), /a refresh/);
  await page.locator('[data-status="CONNECTED"]').waitFor();

  // The profile, from Meta; a broken rule is caught before anything is sent.
  const about = page.locator("#profile-about");
  await page.locator(".profile-preview .profile-about").filter({ hasText: "we answer within the hour" }).waitFor();
  await page.locator("#profile-website-2").fill("ftp://files.example");
  await page.getByRole("button", { name: "Save profile" }).click();
  await page.locator(".profile-form .error").filter({ hasText: "websites" }).waitFor();
  await page.locator("#profile-website-2").fill("");
  await about.fill("Replies in minutes · 几分钟内回复");
  await page.locator("#profile-vertical").selectOption("PROF_SERVICES");
  await page.locator(".profile-preview").filter({ hasText: "Replies in minutes · 几分钟内回复" }).waitFor();
  await page.getByRole("button", { name: "Save profile" }).click();
  await page.locator(".profile-form .notice").filter({ hasText: "Saved" }).waitFor();
  await screenshot(page, "number-profile");
  await page.reload();
  await page.waitForSelector("body[data-hydrated=true]");
  await page.locator(".profile-preview .profile-about").filter({ hasText: "几分钟内回复" }).waitFor();
  assert.equal(await about.inputValue(), "Replies in minutes · 几分钟内回复");
  assert.equal(await page.locator("#profile-vertical").inputValue(), "PROF_SERVICES");
  const { calls } = await parley.graphCalls();
  assert.ok(calls.some((call) => call.startsWith(`POST /v`) && call.includes(`${SUPPORT}/whatsapp_business_profile`)));
  assert.deepEqual(errors, []);
});

test("a quality drop at Meta raises the admins' banner live; agents cannot open numbers", async () => {
  const { page, errors } = await signedIn(team.admin);
  await page.goto(`${parley.url}/admin/numbers`);
  await page.waitForSelector("body[data-hydrated=true]");
  const support = page.locator(`tr[data-number="${SUPPORT}"]`);
  await support.filter({ hasText: "CONNECTED" }).waitFor();
  await parley.api("POST", `/sandbox/numbers/${SUPPORT}/health`, { quality_rating: "RED" });
  const banner = page.locator(".banner.warning .number-alert", { hasText: "FLAGGED" });
  await banner.waitFor();
  assert.match(await banner.textContent(), /Meta flagged the number for low quality/);
  await support.filter({ hasText: "FLAGGED" }).waitFor();
  await screenshot(page, "numbers-flagged");
  // Recovery clears it, live too.
  await parley.api("POST", `/sandbox/numbers/${SUPPORT}/health`, { quality_rating: "GREEN" });
  await banner.waitFor({ state: "detached" });
  assert.deepEqual(errors, []);

  const agent = await signedIn(team.agent);
  assert.equal(await agent.page.getByRole("link", { name: "Numbers" }).count(), 0);
  const response = await agent.page.goto(`${parley.url}/admin/numbers`);
  assert.equal(response.status(), 403);
  assert.ok(await agent.page.getByText("This page is for admins only.").isVisible());
});
