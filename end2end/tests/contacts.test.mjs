// Contacts in a real browser against the sandbox demo: the list and its search, a contact's
// page (deep-linked, so it must hydrate) with typed attributes and the history of their
// conversations, the contact beside the thread with the customer's local time, and the
// attributes admins define showing on every contact.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, screenshot, signedInPage, startParley, team } from "./harness.mjs";

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

const member = (who) => signedInPage(browser, parley.url, who);

test("an agent finds a customer, edits them on their page and sees their conversations", async () => {
  const { page, errors } = await member(team.agent);
  await page.getByRole("link", { name: "Contacts" }).click();
  await page.waitForURL(`${parley.url}/contacts`);
  // The demo seeds what the team knows about its customers once they have written in: search
  // by the seeded company until the seed is there.
  const amira = page.getByRole("link", { name: "Amira Haddad" });
  for (let attempt = 0; ; attempt++) {
    await page.getByRole("searchbox", { name: "Search contacts" }).fill(`haddad trading${" ".repeat(attempt % 2)}`);
    try {
      await amira.waitFor({ timeout: 2000 });
      break;
    } catch (error) {
      if (attempt >= 15) throw error;
    }
  }
  await page.waitForFunction(() => document.querySelectorAll("table.contact-table tbody tr").length === 1);
  // Custom attributes are columns of the list.
  await page.getByRole("columnheader", { name: "Tier" }).waitFor();
  assert.match(await page.locator("table.contact-table tbody tr").first().textContent(), /Gold/);
  await screenshot(page, "contacts-list");
  await amira.click();
  await page.waitForURL(/\/contacts\/\d+$/);
  const url = page.url();

  // A deep link to the page hydrates and its form works.
  await page.goto(url);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.getByRole("heading", { name: "Amira Haddad" }).waitFor();
  assert.equal(await page.getByLabel("Tier").inputValue(), "Gold");
  assert.equal(await page.getByLabel("Customer since").inputValue(), "2023-04-12");
  assert.ok(await page.getByLabel("Newsletter").isChecked());
  assert.ok(
    await page.getByLabel("Lifetime value (EUR) (admins edit)").isDisabled(),
    "agents cannot edit what only admins edit",
  );
  await page.locator(".contact-history li").first().waitFor();
  assert.match(await page.locator(".contact-history").textContent(), /open/);

  const hostile = `<img src=x onerror="window.pwned=1"> Haddad & Sons ${Date.now()}`;
  await page.getByLabel("Company").fill(hostile);
  await page.getByLabel("Note", { exact: true }).fill("Call after 15:00 her time.");
  await page.getByLabel("Tier").selectOption("Silver");
  await page.getByRole("button", { name: "Save contact" }).click();
  await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  await page.reload();
  await page.waitForSelector("body[data-hydrated=true]");
  assert.equal(await page.getByLabel("Company").inputValue(), hostile);
  assert.equal(await page.getByLabel("Tier").inputValue(), "Silver");
  assert.equal(await page.evaluate(() => window.pwned), undefined, "member text stays text");

  // A value that breaks its attribute's rule is refused with the rule named.
  await page.getByLabel("Last order").fill("x".repeat(501));
  await page.getByRole("button", { name: "Save contact" }).click();
  const problem = page.getByRole("alert").filter({ hasText: "Last order (order_id)" });
  await problem.waitFor();
  assert.match(await problem.textContent(), /at most 500 characters/);
  await screenshot(page, "contact-page");
  assert.deepEqual(errors, []);
});

test("beside the thread, the contact shows their local time and takes edits", async () => {
  const { page, errors } = await member(team.agent);
  for (let attempt = 0; ; attempt++) {
    await page.locator(".row", { hasText: "Noa Levi" }).first().click();
    try {
      await page.locator(".thread-header h2", { hasText: "Noa Levi" }).waitFor({ timeout: 3000 });
      break;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
  const panel = page.locator("details.contact-panel");
  await panel.locator("summary").click();
  await panel.getByText(/Their time: \w{3} \d{2}:\d{2}/).waitFor();
  assert.equal(await panel.getByLabel("Time zone").inputValue(), "Asia/Jerusalem");
  await panel.getByLabel("Email").fill("noa.new@example.com");
  await panel.getByRole("checkbox", { name: "VIP" }).check();
  await panel.getByRole("button", { name: "Save contact" }).click();
  await panel.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  await screenshot(page, "contact-beside-thread");
  // A new name reaches the thread header and the list row live.
  await panel.getByLabel("Name", { exact: true }).fill("Noa Levi-Cohen");
  await panel.getByRole("button", { name: "Save contact" }).click();
  await page.locator(".thread-header h2", { hasText: "Noa Levi-Cohen" }).waitFor();
  await page.locator(".row", { hasText: "Noa Levi-Cohen" }).first().waitFor();

  // The contact's own page, in another tab, says the same.
  await panel.getByRole("link", { name: "Open the contact page" }).click();
  await page.waitForURL(/\/contacts\/\d+$/);
  await page.waitForSelector("body[data-hydrated=true]");
  assert.equal(await page.getByLabel("Email").inputValue(), "noa.new@example.com");
  assert.ok(await page.getByRole("checkbox", { name: "VIP" }).isChecked());
  assert.deepEqual(errors, []);
});

test("an admin defines an attribute and members fill it in", async () => {
  const admin = await member(team.admin);
  await admin.page.goto(`${parley.url}/admin/attributes`);
  await admin.page.waitForSelector("body[data-hydrated=true]");
  const form = admin.page.locator("form.attribute-form").first();
  await form.getByLabel("Label").fill("Preferred channel");
  await form.getByLabel("Key").fill("preferred_channel");
  await form.getByLabel("Type").selectOption("list");
  await form.getByLabel("Choices (one per line)").fill("WhatsApp\nPhone\nEmail");
  await form.getByRole("button", { name: "Add attribute" }).click();
  await admin.page.locator("#attribute-preferred_channel-label").waitFor();
  await screenshot(admin.page, "contact-attributes");

  const agent = await member(team.agent);
  await agent.page.goto(`${parley.url}/contacts`);
  await agent.page.waitForSelector("body[data-hydrated=true]");
  await agent.page.getByRole("link", { name: "Inês Carvalho" }).click();
  await agent.page.waitForURL(/\/contacts\/\d+$/);
  await agent.page.getByLabel("Preferred channel").selectOption("Phone");
  await agent.page.getByRole("button", { name: "Save contact" }).click();
  await agent.page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  await agent.page.getByText("No conversations yet.").waitFor();
  // A lead who never wrote: start a conversation, which offers templates only.
  await agent.page.getByRole("button", { name: "Start a conversation" }).click();
  await agent.page.waitForURL(/\/inbox\/\d+$/);
  await agent.page.getByText("The 24-hour window is closed").waitFor();
  assert.deepEqual(agent.errors, []);
  assert.deepEqual(admin.errors, []);
});

test("an admin imports a spreadsheet: maps its columns, previews, imports and reads the report", async () => {
  const admin = await member(team.admin);
  const page = admin.page;
  await page.goto(`${parley.url}/contacts`);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.getByText("Import contacts from CSV").click();
  const csv = [
    "Cliente;Móvil;Tags;Notes",
    "Lucie Martin;06 12 34 56 78;importada;Préfère l'après-midi",
    "Sin número;;importada;",
    "Pablo Ruiz;+34 699 11 22 33;importada, vip;",
  ].join("\n");
  await page.getByLabel("CSV file").setInputFiles({ name: "clientes.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.getByText("clientes.csv: 3 rows.").waitFor();
  // "Cliente" is not a header Parley knows: the member says it is the name.
  assert.equal(await page.getByLabel("Column Cliente holds").inputValue(), "ignore");
  assert.equal(await page.getByLabel("Column Móvil holds").inputValue(), "phone");
  await page.getByLabel("Column Cliente holds").selectOption("name");
  // Without a country the French number cannot be read; with FR it can.
  await page.locator("tr.import-refused", { hasText: "06 12 34 56 78" }).waitFor();
  await page.getByLabel("Country of numbers without a country code").fill("fr");
  await page.locator("tr.import-ok", { hasText: "✓ +33612345678" }).waitFor();
  await screenshot(page, "contacts-import-preview");
  await page.getByRole("button", { name: "Import 3 rows" }).click();
  const report = page.locator(".import-report");
  await report.waitFor();
  assert.match(await report.textContent(), /2 created, 0 updated, 1 refused\./);
  assert.match(await report.textContent(), /Line 3: no phone/);
  assert.match(await report.textContent(), /New labels: importada\./);
  await page.getByRole("searchbox", { name: "Search contacts" }).fill("Lucie");
  await page.getByRole("link", { name: "Lucie Martin" }).waitFor();
  assert.deepEqual(admin.errors, []);
});

test("an admin saves a segment from conditions and the list shows its contacts", async () => {
  const admin = await member(team.admin);
  const page = admin.page;
  await page.goto(`${parley.url}/contacts`);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.getByText("New segment").click();
  const builder = page.locator(".segment-builder");
  await builder.getByLabel("Name", { exact: true }).fill("Customers before 2025");
  await builder.getByRole("button", { name: "Add a condition" }).click();
  await builder.getByLabel("Attribute", { exact: true }).selectOption({ label: "Customer since" });
  await builder.getByLabel("Comparison").selectOption("before");
  await builder.getByLabel("Value", { exact: true }).fill("2025-01-01");
  await builder.getByRole("button", { name: "Save segment" }).click();
  // Saved, selected, counted, and the list narrowed to it.
  await page.getByText("1 contact now").waitFor();
  await page.waitForFunction(() => document.querySelectorAll("table.contact-table tbody tr").length === 1);
  await page.getByRole("link", { name: "Amira Haddad" }).waitFor();
  assert.match(await page.getByLabel("Segment").locator("option:checked").textContent(), /Customers before 2025 \(1\)/);
  await screenshot(page, "contacts-segment");
  await page.getByRole("button", { name: "Delete segment" }).click();
  await page.waitForFunction(() => document.querySelectorAll("table.contact-table tbody tr").length > 1);
  assert.deepEqual(admin.errors, []);
});

test("an admin merges a duplicate into the contact on screen", async () => {
  const admin = await member(team.admin);
  const page = admin.page;
  page.on("dialog", (dialog) => dialog.accept());
  await page.goto(`${parley.url}/contacts`);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.getByRole("link", { name: "Jonas Weber" }).click();
  await page.waitForURL(/\/contacts\/\d+$/);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.getByText("Merge a duplicate into this contact").click();
  await page.getByLabel("Find the duplicate").fill("Inês");
  await page.getByRole("button", { name: "Find", exact: true }).click();
  await page.getByRole("button", { name: "Merge into this contact" }).click();
  // Inês's attribute value (set in an earlier test) came along; her record is gone.
  await page.waitForFunction(() => document.querySelector("[id$='-attr-preferred_channel']")?.value === "Phone");
  await page.goto(`${parley.url}/contacts`);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.getByRole("link", { name: "Jonas Weber" }).waitFor();
  assert.equal(await page.getByRole("link", { name: "Inês Carvalho" }).count(), 0);
  assert.deepEqual(admin.errors, []);
});

test("an admin erases a contact on request", async () => {
  const admin = await member(team.admin);
  const page = admin.page;
  page.on("dialog", (dialog) => dialog.accept());
  await page.goto(`${parley.url}/contacts`);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.getByRole("link", { name: "Jonas Weber" }).click();
  await page.waitForURL(/\/contacts\/\d+$/);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.getByText("Erase this contact (GDPR)").click();
  const exportLink = page.getByRole("link", { name: "Export everything about them (ZIP)" });
  assert.match(await exportLink.getAttribute("href"), /^\/api\/v1\/contacts\/\d+\/export$/);
  await page.getByRole("button", { name: "Erase this contact" }).click();
  await page.waitForURL(`${parley.url}/contacts`);
  await page.getByRole("searchbox", { name: "Search contacts" }).fill("Jonas");
  await page.getByText("No contacts match.").waitFor();
  assert.deepEqual(admin.errors, []);
});
