// Team login in a real browser: the admin reaches the inbox, a wrong password is refused
// with a message, and an agent is kept out of the admin pages.
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

test("an admin signs in and sees the inbox shell, hydrated", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await signIn(page, parley.url, team.admin);
  await page.waitForURL(`${parley.url}/inbox`);
  await page.waitForSelector("body[data-hydrated=true]");
  assert.match(await page.title(), /^(\(\d+\) )?Inbox · Parley$/, "the unread count leads the title");
  assert.ok(await page.getByRole("region", { name: "Conversations" }).isVisible());
  assert.ok(await page.getByText(team.admin.name).isVisible());
  assert.ok(await page.getByRole("link", { name: "Team", exact: true }).isVisible(), "admins see the team link");
  await screenshot(page, "inbox-admin");

  // Client-side navigation after hydration, then sign out.
  await page.getByRole("link", { name: "Team", exact: true }).click();
  await page.waitForURL(`${parley.url}/admin`);
  await page.getByRole("cell", { name: team.agent.email }).waitFor();
  await screenshot(page, "admin-team");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(`${parley.url}/login`);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a wrong password is refused with a message", async () => {
  const page = await browser.newPage();
  await signIn(page, parley.url, { ...team.admin, password: "not-the-password" });
  await page.waitForURL(/\/login\?error=invalid/);
  const alert = page.getByRole("alert");
  assert.equal((await alert.textContent()).trim(), "Wrong email or password.");
  await screenshot(page, "login-wrong-password");
  await page.close();
});

test("an agent gets 403 on an admin page", async () => {
  const page = await browser.newPage();
  await signIn(page, parley.url, team.agent);
  await page.waitForURL(`${parley.url}/inbox`);
  assert.equal(await page.getByRole("link", { name: "Team", exact: true }).count(), 0, "agents see no team link");
  const response = await page.goto(`${parley.url}/admin`);
  assert.equal(response.status(), 403);
  assert.ok(await page.getByText("This page is for admins only.").isVisible());
  await screenshot(page, "admin-forbidden-for-agent");
  await page.close();
});
