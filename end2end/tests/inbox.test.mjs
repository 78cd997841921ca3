// The agent inbox in a real browser, against the real server and its WhatsApp simulator:
// the list, a thread, live messages, the ticking window countdown, the locked composer of an
// expired conversation, assignment seen live by another agent, and hostile text kept inert.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, screenshot, signIn, startParley, team } from "./harness.mjs";

let parley;
let browser;

// Seeded by the simulator: Noa's window has about 40 minutes left, Fatima's has expired.
const NOA = { name: "Noa Levi", waId: "15550100002" };
const FATIMA = { name: "Fatima Zahra" };
const OLIVIA = { name: "Olivia Brown 🌻", waId: "15550100006" };
const AMIRA = { name: "Amira Haddad", waId: "15550100001" }; // nobody assigns her in these tests

before(async () => {
  parley = await startParley();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await parley?.stop();
});

// Live traffic reorders the list while the test clicks, so a click may land as a row moves:
// try again until the thread is open.
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

test("an agent works a conversation live", async () => {
  const page = await browser.newPage();
  const dialogs = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss();
  });
  await signIn(page, parley.url, team.agent);
  await page.waitForURL(`${parley.url}/inbox`);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.locator(".row", { hasText: NOA.name }).waitFor();
  assert.ok((await page.locator(".row").count()) >= 6, "the seeded conversations are listed");

  await openConversation(page, NOA.name);
  assert.match(page.url(), /\/inbox\/\d+$/);
  // Under an hour left: mm:ss, amber, and ticking without a reload.
  const countdown = page.locator(".thread-header .countdown-value");
  const first = await countdown.textContent();
  assert.match(first, /^\d{2}:\d{2}$/);
  assert.ok(await page.locator(".thread-header .countdown.window-soon").isVisible());
  await page.waitForFunction(
    (before) => document.querySelector(".thread-header .countdown-value")?.textContent !== before,
    first,
    { timeout: 5000 },
  );

  // A new inbound message appears live, and the draft being written survives it.
  await page.locator("textarea#reply").fill("Thanks Noa, a replacement is on its way.");
  await parley.customerWrites(NOA.waId, { type: "text", text: { body: "Live from the simulator 🚀" } });
  await page.locator(".bubble", { hasText: "Live from the simulator 🚀" }).waitFor({ timeout: 10000 });
  assert.equal(await page.locator("textarea#reply").inputValue(), "Thanks Noa, a replacement is on its way.");

  // A reply: queued at once, then its ticks follow as the simulated customer receives it.
  await page.locator("textarea#reply").focus();
  await page.keyboard.press("Enter");
  const reply = page.locator(".bubble-row.outbound", { hasText: "a replacement is on its way" });
  await reply.waitFor({ timeout: 10000 });
  await reply.locator(".ticks[aria-label='Delivered'], .ticks[aria-label='Read']").waitFor({ timeout: 15000 });
  assert.equal(await page.locator("textarea#reply").inputValue(), "", "the composer clears after sending");
  assert.equal((await reply.locator(".author").textContent()).trim(), team.agent.name, "the agent is named");

  // Hostile text stays text.
  const hostile = `<img src=x onerror="alert('xss')"><script>alert('xss')</script> https://example.com/ok`;
  await parley.customerWrites(OLIVIA.waId, { type: "text", text: { body: hostile } });
  await openConversation(page, OLIVIA.name);
  const bubble = page.locator(".bubble", { hasText: "onerror" });
  await bubble.waitFor({ timeout: 10000 });
  assert.ok((await bubble.textContent()).includes(`<img src=x onerror="alert('xss')">`));
  assert.equal(await bubble.locator("img, script").count(), 0, "no markup from the customer");
  const link = bubble.locator("a", { hasText: "https://example.com/ok" });
  assert.equal(await link.getAttribute("rel"), "noopener noreferrer");
  assert.deepEqual(dialogs, []);
  await screenshot(page, "inbox-thread");

  // An expired window locks the composer and offers a template instead.
  await openConversation(page, FATIMA.name);
  assert.equal(await page.locator(".thread-header .countdown-value").textContent(), "closed");
  assert.ok(await page.getByText("The 24-hour window is closed").isVisible());
  assert.equal(await page.locator("textarea#reply").count(), 0);
  await page.getByRole("button", { name: "Send a template…" }).click();
  await screenshot(page, "inbox-window-closed");
  // The picker: choose an approved template, fill its parameters, preview, send.
  await page.locator("#template-choice").selectOption({ label: "order_update · en_US · utility" });
  await page.locator("#template-parameter-0").fill("Fatima");
  await page.locator("#template-parameter-1").fill("#9001");
  const preview = page.locator(".template-preview");
  assert.equal((await preview.textContent()).trim(), "Hi Fatima, your order #9001 is on its way.");
  await page.getByRole("button", { name: "Send template" }).click();
  const sent = page.locator(".bubble-row.outbound", { hasText: "Hi Fatima, your order #9001 is on its way." });
  await sent.waitFor({ timeout: 10000 });
  await sent.locator(".ticks[aria-label='Delivered'], .ticks[aria-label='Read']").waitFor({ timeout: 15000 });
  await screenshot(page, "inbox-template-sent");
  await page.close();
});

test("an agent attaches an image with a caption", async () => {
  const page = await browser.newPage();
  await signIn(page, parley.url, team.agent);
  await page.waitForSelector("body[data-hydrated=true]");
  await openConversation(page, NOA.name);
  // A real (1×1) PNG, chosen in the file picker.
  const png = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    "base64",
  );
  await page.locator(".composer input[type=file]").setInputFiles({ name: "parcel.png", mimeType: "image/png", buffer: png });
  // The finished attachment, not the "Uploading parcel.png…" note before it.
  await page.locator(".attachment:not(.uploading)", { hasText: "parcel.png" }).waitFor({ timeout: 10000 });
  await page.locator("textarea#reply").fill("Here is your parcel");
  await page.keyboard.press("Enter");
  const sent = page.locator(".bubble-row.outbound", { hasText: "Here is your parcel" });
  await sent.waitFor({ timeout: 10000 });
  const image = sent.locator("img");
  await image.waitFor({ timeout: 10000 });
  assert.match(await image.getAttribute("src"), /^\/api\/v1\/media\//);
  await sent.locator(".ticks[aria-label='Delivered'], .ticks[aria-label='Read']").waitFor({ timeout: 15000 });
  assert.equal(await page.locator(".attachment").count(), 0, "the attachment is cleared once sent");
  await screenshot(page, "inbox-attachment-sent");
  await page.close();
});

test("an assignment made by one agent shows up live for another", async () => {
  const agentPage = await browser.newPage();
  await signIn(agentPage, parley.url, team.agent);
  await agentPage.waitForSelector("body[data-hydrated=true]");
  await openConversation(agentPage, NOA.name);
  const conversationUrl = agentPage.url();
  const agentButton = agentPage.locator(".thread-actions button").first();
  await agentButton.waitFor();

  const adminContext = await browser.newContext();
  const adminPage = await adminContext.newPage();
  await signIn(adminPage, parley.url, team.admin);
  await adminPage.waitForSelector("body[data-hydrated=true]");
  await adminPage.goto(conversationUrl);
  await adminPage.waitForSelector("body[data-hydrated=true]");
  const label = (await adminPage.locator(".thread-actions button").first().textContent()).trim();
  const expected = label === "Assign to me" ? "Unassign" : "Assign to me";
  await adminPage.locator(".thread-actions button").first().click();
  await adminPage.locator(".thread-actions button", { hasText: expected }).waitFor({ timeout: 10000 });
  // The other agent's open thread follows without a reload.
  await agentPage.locator(".thread-actions button", { hasText: expected }).waitFor({ timeout: 10000 });
  await screenshot(agentPage, "inbox-assignment-live");
  await adminContext.close();
  await agentPage.close();
});

test("the inbox is usable at 390 px", async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signIn(page, parley.url, team.agent);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.locator(".row", { hasText: NOA.name }).waitFor();
  await openConversation(page, NOA.name);
  assert.ok(await page.locator(".thread-header").isVisible());
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no horizontal scrolling (${overflow}px)`);
  await screenshot(page, "inbox-390px");
  await context.close();
});

test("keyboard shortcuts move through the list and into search", async () => {
  const page = await browser.newPage();
  await signIn(page, parley.url, team.agent);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.locator(".row").nth(1).waitFor();
  // (The list may reorder as customers write, so check movement, not particular rows.)
  await page.keyboard.press("j");
  await page.waitForURL(/\/inbox\/\d+$/);
  await page.locator(".row[aria-current=page]").waitFor();
  const first = page.url();
  await page.keyboard.press("j");
  await page.waitForURL((url) => /\/inbox\/\d+$/.test(url.href) && url.href !== first);
  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "Search conversations");
  await page.close();
});

test("new customer messages raise a desktop notification while the tab is in the background", async () => {
  const context = await browser.newContext({ permissions: ["notifications"] });
  await context.addInitScript(() => {
    window.__notifications = [];
    const Real = window.Notification;
    window.Notification = class extends Real {
      constructor(title, options) {
        window.__notifications.push({ title, body: options?.body });
        super(title, options);
      }
    };
    window.Notification.requestPermission = Real.requestPermission.bind(Real);
    Object.defineProperty(window.Notification, "permission", { get: () => Real.permission });
  });
  const page = await context.newPage();
  await signIn(page, parley.url, team.agent);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.getByRole("button", { name: "🔕 Notifications off" }).click();
  await page.getByRole("button", { name: "🔔 Notifications on" }).waitFor();
  // The agent is elsewhere: headless Chromium keeps every page focused, so say it is not.
  await page.evaluate(() => {
    Document.prototype.hasFocus = () => false;
  });
  await parley.customerWrites(AMIRA.waId, { type: "text", text: { body: "Are you there? 🙂" } });
  await page.waitForFunction(() => window.__notifications.some((n) => n.body === "Are you there? 🙂"), null, {
    timeout: 10000,
  });
  const [notification] = await page.evaluate(() => window.__notifications.filter((n) => n.body === "Are you there? 🙂"));
  assert.equal(notification.title, AMIRA.name);
  await context.close();
});
