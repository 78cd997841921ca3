// Working together, in real browsers against the real server and its WhatsApp simulator: notes
// that never reach Meta and mentions that ring a teammate's bell, labels put on and filtered
// by, canned replies picked with `/` and sent as normal replies, snooze and priority, presence
// across two members' browsers, and the key help.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, screenshot, signIn, startParley, team } from "./harness.mjs";

let parley;
let browser;

// Seeded by the simulator's demo (see service/sandbox.rs).
const NOA = { name: "Noa Levi", waId: "15550100002" };
const AMIRA = { name: "Amira Haddad", waId: "15550100001" };
const OLIVIA = { name: "Olivia Brown 🌻", waId: "15550100006" };

before(async () => {
  parley = await startParley();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await parley?.stop();
});

async function member(who, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await signIn(page, parley.url, who);
  await page.waitForURL(`${parley.url}/inbox`);
  await page.waitForSelector("body[data-hydrated=true]");
  return { context, page };
}

// Live traffic reorders the list while the test clicks: try again until the thread is open.
async function openConversation(page, name) {
  for (let attempt = 0; ; attempt++) {
    await page.locator(".row", { hasText: name }).first().click();
    try {
      await page.locator(".thread-header h2", { hasText: name }).waitFor({ timeout: 3000 });
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

test("a note with a mention stays inside the team and rings the teammate's bell", async () => {
  const agent = await member(team.agent);
  const bell = agent.page.locator(".bell-button");
  const unreadBefore = Number((await bell.getAttribute("aria-label")).match(/(\d+) unread/)[1]);

  const admin = await member(team.admin);
  await openConversation(admin.page, AMIRA.name);
  await admin.page.locator("body").press("n");
  const composer = admin.page.locator("textarea#reply");
  await admin.page.locator(".composer.note-mode").waitFor();
  assert.equal(await admin.page.evaluate(() => document.activeElement?.id), "reply", "n focuses the note");
  await composer.pressSequentially("Please call her back @Bo");
  const picker = admin.page.getByRole("listbox", { name: "Mention a teammate" });
  await picker.getByRole("option", { name: /Bo Agent/ }).waitFor();
  await composer.press("Enter");
  const secret = `about the <b>wholesale</b> order ${Date.now()}`;
  await composer.pressSequentially(secret);
  assert.equal(await composer.inputValue(), `Please call her back @Bo Agent ${secret}`);
  await admin.page.getByRole("button", { name: "Add note" }).click();
  const note = admin.page.locator(".bubble.note", { hasText: secret });
  await note.waitFor({ timeout: 10000 });
  assert.equal(await note.locator("b").count(), 0, "member text stays text");
  assert.equal(await note.locator(".mention").textContent(), "@Bo Agent");

  // The teammate's bell rings live, and the notification opens the thread at the note.
  await agent.page.waitForFunction(
    (before) => {
      const label = document.querySelector(".bell-button")?.getAttribute("aria-label") ?? "";
      return Number(label.match(/(\d+) unread/)?.[1] ?? 0) > before;
    },
    unreadBefore,
    { timeout: 10000 },
  );
  await bell.click();
  const item = agent.page.locator(".notifications li", { hasText: "wholesale" }).first();
  await item.waitFor();
  await screenshot(agent.page, "collaboration-bell");
  await item.locator("a").first().click();
  await agent.page.waitForURL(/\/inbox\/\d+#note-\d+$/);
  await agent.page.locator(".bubble.note", { hasText: secret }).waitFor({ timeout: 10000 });

  // Never sent to Meta: the simulator saw no message with it.
  const { calls, sent } = await parley.graphCalls();
  assert.ok(calls.length > 0, "the simulator records every call");
  assert.ok(!calls.some((call) => call.includes("note")), "no Graph call is about a note");
  assert.ok(!JSON.stringify(sent).includes("wholesale"), "no message sent carries the note");
  await screenshot(admin.page, "collaboration-note");
  await admin.context.close();
  await agent.context.close();
});

test("a canned reply is picked with / and sent as a normal reply", async () => {
  const { context, page } = await member(team.agent);
  await openConversation(page, NOA.name);
  const composer = page.locator("textarea#reply");
  await composer.click();
  await composer.pressSequentially("/hou");
  const picker = page.getByRole("listbox", { name: "Canned replies" });
  await picker.getByRole("option", { name: /hours/ }).waitFor();
  await composer.press("Enter");
  const expected = `Hi ${NOA.name}! We are open Monday to Saturday, 9:00–19:00. — ${team.agent.name}`;
  assert.equal(await composer.inputValue(), expected, "placeholders filled in on insert");
  await composer.press("Enter");
  const reply = page.locator(".bubble-row.outbound", { hasText: "We are open Monday to Saturday" });
  await reply.waitFor({ timeout: 10000 });
  await reply.locator(".ticks[aria-label='Delivered'], .ticks[aria-label='Read']").waitFor({ timeout: 15000 });
  const { sent } = await parley.graphCalls();
  const ours = sent.filter((body) => body?.text?.body === expected);
  assert.equal(ours.length, 1, "sent to Meta once, as an ordinary text reply");
  assert.equal(ours[0].to, NOA.waId);

  // A placeholder without a value stays visible, with a warning, rather than going out blank.
  await parley.api("POST", "/canned_replies", {
    shortcut: "tier",
    title: "Loyalty tier",
    body: "Your tier is {{contact.loyalty_tier}}.",
    shared: true,
  });
  await composer.fill("");
  await composer.pressSequentially("/tie");
  await picker.getByRole("option", { name: /tier/ }).waitFor({ timeout: 10000 });
  await composer.press("Enter");
  assert.equal(await composer.inputValue(), "Your tier is {{contact.loyalty_tier}}.");
  await page.locator(".form-warning", { hasText: "{{contact.loyalty_tier}}" }).waitFor();
  await screenshot(page, "collaboration-canned");
  await context.close();
});

test("labels go on from the thread, show on the row, and filter the list", async () => {
  // An admin defines a label with hostile text in it: shown as text everywhere.
  const hostile = `<img src=x onerror=alert(1)>`;
  await parley.api("POST", "/labels", { name: "needs-callback", colour: "#0891b2", description: hostile });
  const { context, page } = await member(team.agent);
  const dialogs = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss();
  });
  await openConversation(page, OLIVIA.name);
  await page.locator("body").press("l");
  const picker = page.getByRole("dialog", { name: "Labels" });
  await picker.waitFor();
  assert.equal(await picker.locator("img").count(), 0, "the description is text");
  await picker.locator("label", { hasText: "needs-callback" }).locator("input").check();
  await page.locator(".thread-header .label-bar > .label-chip", { hasText: "needs-callback" }).waitFor({ timeout: 10000 });
  await page.keyboard.press("Escape");
  const row = page.locator(".row", { hasText: OLIVIA.name });
  await row.locator(".label-chip", { hasText: "needs-callback" }).waitFor({ timeout: 10000 });

  // Filtering by it leaves Olivia alone in the list; adding a second label narrows to both.
  await page.getByLabel("Filter by label").selectOption("needs-callback");
  await page.waitForFunction(() => document.querySelectorAll(".rows .row").length === 1, null, { timeout: 10000 });
  assert.match(await page.locator(".rows .row").first().textContent(), /Olivia Brown/);
  await page.getByLabel("Filter by label").selectOption("VIP");
  await page.locator(".empty-state", { hasText: "No conversations here." }).waitFor({ timeout: 10000 });
  await screenshot(page, "collaboration-labels");
  assert.deepEqual(dialogs, []);
  await context.close();
});

test("snooze parks a conversation until the customer writes; priority shows on the row", async () => {
  const { context, page } = await member(team.agent);
  await openConversation(page, AMIRA.name);
  await page.locator(".thread-header .priority-select").selectOption("urgent");
  const row = page.locator(".row", { hasText: AMIRA.name });
  await row.locator(".priority-badge", { hasText: "Urgent" }).waitFor({ timeout: 10000 });

  await page.locator("body").press("s");
  const snooze = page.getByRole("dialog", { name: "Snooze" });
  await snooze.getByRole("button", { name: /hour/ }).click();
  await page.locator(".snoozed-until", { hasText: "Snoozed until" }).waitFor({ timeout: 10000 });
  // Parked: gone from the open conversations, listed under snoozed.
  await row.waitFor({ state: "detached", timeout: 10000 });
  await page.getByLabel("Status").selectOption("snoozed");
  await row.locator(".status-badge", { hasText: "Snoozed" }).waitFor({ timeout: 10000 });
  await screenshot(page, "collaboration-snoozed");

  // The customer writes: the conversation wakes at once, back among the open ones.
  await parley.customerWrites(AMIRA.waId, { type: "text", text: { body: "Any news on my order?" } });
  await page.locator(".bubble", { hasText: "Any news on my order?" }).waitFor({ timeout: 10000 });
  await page.locator(".snoozed-until").waitFor({ state: "detached", timeout: 10000 });
  await row.waitFor({ state: "detached", timeout: 10000 });
  await page.getByLabel("Status").selectOption("open");
  await row.waitFor({ timeout: 10000 });
  assert.equal(await row.locator(".status-badge").count(), 0);
  await context.close();
});

test("two members see each other in a conversation, typing included", async () => {
  const agent = await member(team.agent);
  const admin = await member(team.admin);
  await openConversation(agent.page, NOA.name);
  await openConversation(admin.page, NOA.name);
  const agentSees = agent.page.locator(".thread-header .presence");
  await agentSees.filter({ hasText: `${team.admin.name} is viewing` }).waitFor({ timeout: 10000 });

  await admin.page.locator("textarea#reply").pressSequentially("Let me check");
  await agentSees.filter({ hasText: `${team.admin.name} is typing a reply…` }).waitFor({ timeout: 10000 });
  await screenshot(agent.page, "collaboration-presence");

  // The admin leaves: gone from the agent's header within seconds.
  await admin.context.close();
  await agentSees.filter({ hasText: team.admin.name }).waitFor({ state: "detached", timeout: 10000 });
  await agent.context.close();
});

test("? lists the keys", async () => {
  const { context, page } = await member(team.agent);
  await page.locator("body").press("?");
  const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await help.waitFor();
  const text = await help.textContent();
  for (const key of ["note", "labels", "snooze", "canned"]) {
    assert.match(text.toLowerCase(), new RegExp(key), `the help mentions ${key}`);
  }
  await page.keyboard.press("Escape");
  await help.waitFor({ state: "detached" });
  await context.close();
});

test("an admin defines a label and an agent writes their own canned reply", async () => {
  const admin = await member(team.admin);
  await admin.page.goto(`${parley.url}/admin/labels`);
  await admin.page.waitForSelector("body[data-hydrated=true]");
  await admin.page.locator("#new-label-name").fill("billing");
  await admin.page.locator("#new-label-description").fill("Invoices and payments");
  await admin.page.getByRole("button", { name: "Add label" }).click();
  await admin.page.waitForFunction(
    () => [...document.querySelectorAll(".label-list input[type=text]")].some((input) => input.value === "billing"),
    null,
    { timeout: 10000 },
  );
  await screenshot(admin.page, "collaboration-admin-labels");
  await admin.context.close();

  const agent = await member(team.agent);
  // Not an admin: the labels page is refused.
  const refused = await agent.page.goto(`${parley.url}/admin/labels`);
  assert.equal(refused.status(), 403);
  await agent.page.goto(`${parley.url}/canned-replies`);
  await agent.page.waitForSelector("body[data-hydrated=true]");
  await agent.page.locator("#new-canned-shortcut").fill("eta");
  await agent.page.locator("#new-canned-title").fill("Delivery estimate");
  await agent.page.locator("#new-canned-body").fill("Your parcel should reach you within 2 days, {{contact.name}}.");
  await agent.page.locator(".canned-form").first().getByRole("button", { name: "Add canned reply" }).click();
  await agent.page.waitForFunction(
    () => [...document.querySelectorAll("[id^='canned-'][id$='-shortcut']")].some((input) => input.value === "eta"),
    null,
    { timeout: 10000 },
  );
  await screenshot(agent.page, "collaboration-canned-replies");

  // The new label is offered in the thread, and the new reply in the composer.
  await agent.page.goto(`${parley.url}/inbox`);
  await agent.page.waitForSelector("body[data-hydrated=true]");
  await openConversation(agent.page, NOA.name);
  await agent.page.locator("body").press("l");
  await agent.page.getByRole("dialog", { name: "Labels" }).locator("label", { hasText: "billing" }).waitFor();
  await agent.page.keyboard.press("Escape");
  const composer = agent.page.locator("textarea#reply");
  await composer.click();
  await composer.pressSequentially("/eta");
  await agent.page.getByRole("listbox", { name: "Canned replies" }).getByRole("option", { name: /eta/ }).waitFor();
  await composer.press("Enter");
  assert.equal(await composer.inputValue(), `Your parcel should reach you within 2 days, ${NOA.name}.`);
  await agent.context.close();
});
