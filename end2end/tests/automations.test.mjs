// Automations in a real browser against the sandbox demo: an admin adds a keyword reply with
// the quick form and tries it on a sample; a customer's question is answered by it as
// "Automation"; with the shop closed, a customer gets the demo's out-of-hours reply once; a
// conversation resolved in the inbox sends the demo's rating request; the customer's tap and
// comment are stored on it (still resolved) and the thread shows them.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, screenshot, signedInPage, startParley, team } from "./harness.mjs";

const OLIVIA = { waId: "15550100006" };
const FATIMA = { waId: "15550100008" };

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

/** The conversation of `waId` whose thread holds `text` (a customer may have one per number). */
async function conversationWith(waId, text) {
  for (let attempt = 0; ; attempt++) {
    const page = await parley.api("GET", `/conversations?search=${waId}`);
    for (const conversation of page.conversations) {
      const thread = await parley.api("GET", `/conversations/${conversation.id}/messages?limit=100`);
      if (thread.messages.some((m) => m.text === text)) return conversation.id;
    }
    if (attempt > 100) throw new Error(`no conversation of ${waId} with ${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The thread's messages sent by "Automation" whose text matches `pattern`, once they appear. */
async function automated(conversation, pattern, atLeast = 1) {
  for (let attempt = 0; ; attempt++) {
    const thread = await parley.api("GET", `/conversations/${conversation}/messages?limit=100`);
    const found = thread.messages.filter((m) => m.author_name === "Automation" && pattern.test(m.text ?? ""));
    if (found.length >= atLeast) return found;
    if (attempt > 100) throw new Error(`no automated ${pattern} in ${JSON.stringify(thread.messages.map((m) => m.text))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("an admin adds a keyword reply, tries it, and it answers a customer", async () => {
  const { page, errors } = await signedIn(team.admin);
  await page.getByRole("link", { name: "Automations" }).click();
  await page.waitForURL(`${parley.url}/admin/automations`);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.locator(".automation h3", { hasText: "Refunds" }).waitFor();

  const form = page.locator("form.keyword-form");
  await form.getByLabel("Name").fill("Opening hours");
  await form.getByLabel("Keywords").fill("opening hours, 营业时间");
  await form.getByLabel("Reply").fill("We're open on weekdays from 08:00 to 18:00.");
  await form.getByRole("button", { name: "Add keyword reply" }).click();
  const rule = page.locator("li.automation", { hasText: "Opening hours" });
  await rule.waitFor();
  await rule.getByLabel("Try a message").fill("What are your OPENING hours?");
  await rule.getByRole("button", { name: "Test" }).click();
  await rule.getByRole("status").filter({ hasText: "Matches: message.text contains “opening hours”" }).waitFor();
  await screenshot(page, "automations");

  const question = "Hi! What are your opening hours?";
  await parley.customerWrites(OLIVIA.waId, { type: "text", text: { body: question } });
  const conversation = await conversationWith(OLIVIA.waId, question);
  await automated(conversation, /open on weekdays/);
  await page.goto(`${parley.url}/inbox/${conversation}`);
  await page.waitForSelector("body[data-hydrated=true]");
  const bubble = page.locator(".bubble", { hasText: "We're open on weekdays" });
  await bubble.waitFor();
  assert.match(await bubble.textContent(), /Automation/);

  // Its recent runs say what it did.
  await page.goto(`${parley.url}/admin/automations`);
  await page.waitForSelector("body[data-hydrated=true]");
  await rule.getByRole("button", { name: "Recent runs" }).click();
  await rule.locator(".automation-runs li", { hasText: "acted" }).first().waitFor();
  assert.deepEqual(errors, []);
});

test("with the shop closed, a customer gets the out-of-hours reply once", async () => {
  const closed = await parley.api("GET", "/business-hours");
  for (const day of Object.keys(closed.hours)) closed.hours[day] = [];
  await parley.api("PUT", "/business-hours", closed);
  await parley.customerWrites(FATIMA.waId, { type: "text", text: { body: "Hello, are you there?" } });
  const conversation = await conversationWith(FATIMA.waId, "Hello, are you there?");
  await automated(conversation, /closed right now/);
  await parley.customerWrites(FATIMA.waId, { type: "text", text: { body: "Hello again?" } });
  // The second message is judged too (its run is recorded), and held back by the cooldown.
  const [outOfHours] = (await parley.api("GET", "/automations")).filter((r) => r.name === "Out of hours");
  for (let attempt = 0; ; attempt++) {
    const runs = await parley.api("GET", `/automations/${outOfHours.id}/runs`);
    const mine = runs.filter((run) => run.conversation_id === conversation);
    if (mine.length >= 2) {
      assert.equal(mine.filter((run) => run.acted).length, 1, JSON.stringify(mine));
      break;
    }
    if (attempt > 100) throw new Error(`runs: ${JSON.stringify(runs)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal((await automated(conversation, /closed right now/)).length, 1);
});

test("a resolved conversation asks for a rating and the customer's answer is stored", async () => {
  // Open around the clock: no out-of-hours reply in the way.
  const hours = await parley.api("GET", "/business-hours");
  for (const day of Object.keys(hours.hours)) hours.hours[day] = [{ opens: "00:00", closes: "23:59" }];
  await parley.api("PUT", "/business-hours", hours);
  const { page, errors } = await signedIn(team.admin);
  // Fatima writes only when told to (the sandbox's background traffic leaves her alone).
  const said = "Thanks, that's all I needed";
  await parley.customerWrites(FATIMA.waId, { type: "text", text: { body: said } });
  const conversation = await conversationWith(FATIMA.waId, said);
  await page.goto(`${parley.url}/inbox/${conversation}`);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.locator("header").getByRole("button", { name: "Resolve", exact: true }).click();

  // The demo's "Rating request" rule asks with five stars, as "Automation".
  const [question] = await automated(conversation, /How did we do/);
  assert.equal(question.type, "interactive");
  const rows = question.payload.interactive.action.sections[0].rows;
  assert.deepEqual(rows.map((row) => row.title), ["★★★★★", "★★★★☆", "★★★☆☆", "★★☆☆☆", "★☆☆☆☆"]);
  // She taps four stars, then adds a comment when invited.
  const four = rows[1];
  await parley.customerWrites(FATIMA.waId, {
    type: "interactive",
    context: { id: question.wamid },
    interactive: { type: "list_reply", list_reply: { id: four.id, title: four.title } },
  });
  let rated;
  for (let attempt = 0; ; attempt++) {
    rated = await parley.api("GET", `/conversations/${conversation}`);
    if (rated.csat) break;
    if (attempt > 100) throw new Error(`no rating: ${JSON.stringify(rated)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(rated.csat, { rating: 4, comment: null });
  await parley.customerWrites(FATIMA.waId, { type: "text", text: { body: "Fast and friendly 🙏" } });
  for (let attempt = 0; ; attempt++) {
    rated = await parley.api("GET", `/conversations/${conversation}`);
    if (rated.csat.comment) break;
    if (attempt > 100) throw new Error(`no comment: ${JSON.stringify(rated)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(rated.csat.comment, "Fast and friendly 🙏");
  assert.equal(rated.status, "resolved", "the answers do not reopen the conversation");

  await page.reload();
  await page.waitForSelector("body[data-hydrated=true]");
  const line = page.locator(".csat-line");
  await line.waitFor();
  assert.equal(await line.getAttribute("aria-label"), "The customer rated this conversation 4 of 5");
  assert.match(await line.textContent(), /★★★★☆ — .*Fast and friendly/);
  await screenshot(page, "csat");
  assert.deepEqual(errors, []);
});
