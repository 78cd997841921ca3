// Template administration in a real browser: the list with statuses and filters, a new
// template with its live preview, and its review by the simulated Meta arriving live in the
// timeline. Agents are refused the pages.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, screenshot, signIn, startParley, team } from "./harness.mjs";

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

test("an admin submits a template and watches its review arrive", async () => {
  const page = await browser.newPage();
  await signIn(page, parley.url, team.admin);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.getByRole("link", { name: "Templates" }).click();
  await page.waitForURL(`${parley.url}/admin/templates`);
  const row = page.locator("tr", { hasText: "order_update" });
  await row.waitFor({ timeout: 10000 });
  assert.equal((await row.locator(".status").textContent()).trim(), "APPROVED");
  await page.locator("label", { hasText: "Category" }).locator("select").selectOption("MARKETING");
  await page.locator("tr", { hasText: "spring_sale" }).waitFor();
  assert.equal(await page.locator("tr", { hasText: "order_update" }).count(), 0, "filtered out");
  await screenshot(page, "templates-list");

  await page.goto(`${parley.url}/admin/templates/new`);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.locator("#template-name").fill("pickup_ready");
  await page.locator("#template-header-kind").selectOption("text");
  await page.locator("#template-header").fill("Ready for pickup");
  await page.locator("#template-body").fill("Hi {{1}}, your order is ready at {{2}}.");
  await page.locator("#template-example-0").fill("Ana");
  await page.locator("#template-example-1").fill("the Main St shop");
  await page.getByRole("button", { name: "+ Quick reply" }).click();
  await page.getByPlaceholder("Button text").fill("On my way");
  const preview = page.locator(".template-bubble");
  assert.equal((await preview.locator(".template-body").textContent()).trim(), "Hi Ana, your order is ready at the Main St shop.");
  assert.ok((await preview.textContent()).includes("On my way"));
  await screenshot(page, "templates-new");
  await page.getByRole("button", { name: "Submit for review" }).click();
  await page.waitForURL(/\/admin\/templates\/\d+$/);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.locator(".timeline li", { hasText: "Submitted" }).waitFor({ timeout: 10000 });
  // The simulated review (a minute at Meta, sped up) lands live, without a reload.
  await page.locator(".timeline li", { hasText: /Status → (APPROVED|REJECTED)/ }).waitFor({ timeout: 30000 });
  await screenshot(page, "templates-timeline");
  await page.close();
});

test("agents are refused the template pages", async () => {
  const page = await browser.newPage();
  await signIn(page, parley.url, team.agent);
  await page.waitForSelector("body[data-hydrated=true]");
  assert.equal(await page.getByRole("link", { name: "Templates" }).count(), 0);
  const response = await page.goto(`${parley.url}/admin/templates`);
  assert.equal(response.status(), 403);
  await page.close();
});
