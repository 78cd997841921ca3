// Running the team in a real browser: an admin adds a member and hands over the one-time
// link; the member sets a password through it, lands in the inbox, changes their settings;
// the last admin cannot demote themselves; the audit log shows it all.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { launchBrowser, screenshot, signIn, startParley, team } from "./harness.mjs";

let parley;
let browser;
/** Nia's recovery codes, from the first test, to sign her in again later. */
let niaRecoveryCodes = [];

/** The code an authenticator app shows for a base32 secret, `stepsAhead` steps from now. */
function totp(secret, stepsAhead = 0) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const step = Buffer.alloc(8);
  step.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + stepsAhead));
  const digest = createHmac("sha1", key).update(step).digest();
  const offset = digest[19] & 0x0f;
  const value = (digest.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return value.toString().padStart(6, "0");
}

before(async () => {
  parley = await startParley();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await parley?.stop();
});

test("an admin adds a member, who signs in through the one-time link", async () => {
  const admin = await browser.newPage();
  const errors = [];
  admin.on("pageerror", (error) => errors.push(error.message));
  await signIn(admin, parley.url, team.admin);
  await admin.waitForURL(`${parley.url}/inbox`);
  await admin.goto(`${parley.url}/admin`);
  await admin.waitForSelector("body[data-hydrated=true]");

  const form = admin.getByRole("form", { name: "Add a member" });
  await form.getByLabel("Name").fill("Nia Okafor");
  await form.getByLabel("Email").fill("nia@example.com");
  await form.getByRole("button", { name: "Add member" }).click();
  const link = admin.getByRole("textbox", { name: "Set-password link" });
  await link.waitFor();
  const url = await link.inputValue();
  assert.match(url, new RegExp(`^${parley.url}/set-password\\?token=[A-Za-z0-9_-]{43}$`));
  await admin.getByRole("cell", { name: "nia@example.com" }).waitFor();
  await screenshot(admin, "team-member-added");

  // The new member opens the link in their own browser.
  const context = await browser.newContext();
  const member = await context.newPage();
  await member.goto(url);
  await member.getByRole("heading", { name: "Welcome to Parley, Nia Okafor" }).waitFor();
  await member.getByLabel("New password (at least 8 characters)").fill("nia's long password");
  await member.getByLabel("The same password again").fill("nia's long password");
  await screenshot(member, "set-password");
  await member.getByRole("button", { name: "Set password and sign in" }).click();
  await member.waitForURL(`${parley.url}/inbox`);
  await member.waitForSelector("body[data-hydrated=true]");

  // Their settings: a new name, mentions off.
  await member.getByRole("link", { name: "Nia Okafor" }).click();
  await member.waitForURL(`${parley.url}/settings`);
  const profile = member.getByRole("form", { name: "Profile" });
  await profile.getByLabel("Name").fill("Nia O.");
  await profile.getByLabel("a colleague mentions me in a note").uncheck();
  await profile.getByRole("button", { name: "Save" }).click();
  await member.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  await screenshot(member, "settings");

  // She sets up two-factor sign-in with her authenticator app.
  await member.getByRole("button", { name: "Set up an authenticator app" }).click();
  const confirmForm = member.getByRole("form", { name: "Confirm two-factor sign-in" });
  await confirmForm.getByRole("img", { name: "QR code for your authenticator app" }).waitFor();
  const secret = (await member.locator(".totp-secret").textContent()).trim();
  await confirmForm.getByLabel("Code from the app").fill(totp(secret));
  await confirmForm.getByRole("button", { name: "Confirm" }).click();
  const codes = member.locator(".recovery-codes li");
  await codes.first().waitFor();
  assert.equal(await codes.count(), 10);
  niaRecoveryCodes = await codes.allTextContents();
  await member.getByText(/^On: signing in asks for a code/).waitFor();
  await screenshot(member, "two-factor-recovery-codes");
  // Signing in again asks for a code after the password.
  await member.getByRole("button", { name: "Sign out" }).click();
  await member.waitForURL(`${parley.url}/login`);
  await signIn(member, parley.url, { email: "nia@example.com", password: "nia's long password" });
  await member.waitForURL(`${parley.url}/login/code`);
  await member.getByLabel("Code from your authenticator app").fill(totp(secret, 1));
  await screenshot(member, "two-factor-code");
  await member.getByRole("button", { name: "Sign in" }).click();
  await member.waitForURL(`${parley.url}/inbox`);

  // The link was spent.
  const again = await context.newPage();
  await again.goto(url);
  await again.getByRole("heading", { name: "This link no longer works" }).waitFor();
  await context.close();

  // The admin's table shows the name the member chose.
  await admin.reload();
  await admin.waitForSelector("body[data-hydrated=true]");
  await admin.getByRole("cell", { name: "Nia O.", exact: true }).waitFor();
  assert.deepEqual(errors, []);
  await admin.close();
});

test("the last admin cannot demote themselves, and the audit log shows who did what", async () => {
  const page = await browser.newPage();
  await signIn(page, parley.url, team.admin);
  await page.waitForURL(`${parley.url}/inbox`);
  await page.goto(`${parley.url}/admin`);
  await page.waitForSelector("body[data-hydrated=true]");
  // The sandbox's demo admin is disabled first (after a confirmation): Ada is then the last.
  page.on("dialog", (dialog) => dialog.accept());
  const demoAdmin = page.locator('tr[data-member="admin@demo.parley"]');
  await demoAdmin.getByRole("button", { name: "Disable" }).click();
  await page.locator('tr[data-member="admin@demo.parley"]').getByRole("button", { name: "Enable" }).waitFor();
  const adminRow = page.locator(`tr[data-member="${team.admin.email}"]`);
  await adminRow.getByRole("combobox").selectOption("agent");
  const refusal = page.getByRole("alert").filter({ hasText: "last active admin" });
  await refusal.waitFor();
  await screenshot(page, "team-last-admin-refused");
  await page.locator(`tr[data-member="${team.admin.email}"]`).getByRole("combobox").waitFor();
  assert.equal(
    await page.locator(`tr[data-member="${team.admin.email}"]`).getByRole("combobox").inputValue(),
    "admin",
    "the table shows the role as it stands",
  );

  await page.getByRole("link", { name: "Audit", exact: true }).click();
  await page.waitForURL(`${parley.url}/admin/audit`);
  await page.locator('tr[data-action="member.added"]').first().waitFor();
  assert.ok(await page.locator('tr[data-action="member.disabled"]').count() >= 1);
  assert.ok(await page.locator('tr[data-action="password.set"]').count() >= 1);
  await page.getByLabel("Action").selectOption("sign_in");
  await page.waitForFunction(() => !document.querySelector('tr[data-action="member.added"]'));
  assert.ok(await page.locator('tr[data-action="sign_in.succeeded"]').count() >= 1);
  await screenshot(page, "audit-log");
  await page.close();
});

test("the new member gets a conversation by round-robin while a colleague is away", async () => {
  const OLIVIA = { name: "Olivia Brown 🌻", waId: "15550100006" };
  // Arranged through the API: a team of Bo and Nia, and Olivia's conversation pending,
  // unassigned, in that team's queue.
  const members = await parley.api("GET", "/team");
  const id = (email) => members.find((m) => m.email === email).id;
  const night = await parley.api("POST", "/teams", {
    name: "Night shift",
    members: [id(team.agent.email), id("nia@example.com")],
    assignment: "round_robin",
    capacity: 20,
  });
  // The night shift works around the clock, whatever the shop's hours (a team routes only
  // while it is open).
  const always = [{ opens: "00:00", closes: "24:00" }];
  const days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
  await parley.api("PUT", `/teams/${night.id}/business-hours`, {
    time_zone: "UTC",
    hours: Object.fromEntries(days.map((day) => [day, always])),
  });
  const found = await parley.api("GET", `/conversations?q=${OLIVIA.waId}`);
  const conversation = found.conversations[0];
  // Pending, not resolved: resolving would send the demo's rating request, and the reply
  // below could be taken as the rating's comment.
  await parley.api("PATCH", `/conversations/${conversation.id}`, {
    team_id: night.id,
    assignee_id: null,
    status: "pending",
  });

  const setAvailability = async (page, value) => {
    await page.getByRole("combobox", { name: "Availability" }).selectOption(value);
    await page.waitForFunction(async (wanted) => {
      const response = await fetch("/api/v1/me");
      return (await response.json()).availability === wanted;
    }, value);
  };
  // Bo is away.
  const boContext = await browser.newContext();
  const bo = await boContext.newPage();
  await signIn(bo, parley.url, team.agent);
  await bo.waitForURL(`${parley.url}/inbox`);
  await bo.waitForSelector("body[data-hydrated=true]");
  await setAvailability(bo, "away");
  // Nia signs in with a recovery code (her phone is elsewhere) and goes online.
  const niaContext = await browser.newContext();
  const nia = await niaContext.newPage();
  await signIn(nia, parley.url, { email: "nia@example.com", password: "nia's long password" });
  await nia.waitForURL(`${parley.url}/login/code`);
  await nia.getByLabel("Code from your authenticator app").fill(niaRecoveryCodes[0]);
  await nia.getByRole("button", { name: "Sign in" }).click();
  await nia.waitForURL(`${parley.url}/inbox`);
  await nia.waitForSelector("body[data-hydrated=true]");
  await setAvailability(nia, "online");
  await nia.getByRole("tab", { name: "Mine" }).click();

  // Olivia writes again: her conversation reopens and routing hands it to Nia, live.
  await parley.customerWrites(OLIVIA.waId, { type: "text", text: { body: "Hello again, anyone there?" } });
  await nia.getByRole("region", { name: "Conversations" }).getByText(OLIVIA.name).waitFor();
  const routed = await parley.api("GET", `/conversations/${conversation.id}`);
  assert.equal(routed.assignee_id, id("nia@example.com"));
  assert.equal(routed.team_id, night.id);
  await screenshot(nia, "routed-round-robin");
  await boContext.close();
  await niaContext.close();

  // The team page shows the team as admins set it.
  const admin = await browser.newPage();
  await signIn(admin, parley.url, team.admin);
  await admin.waitForURL(`${parley.url}/inbox`);
  await admin.goto(`${parley.url}/admin/teams`);
  await admin.waitForSelector("body[data-hydrated=true]");
  await admin.getByRole("form", { name: "Team Night shift" }).waitFor();
  await screenshot(admin, "admin-teams");
  await admin.close();
});
