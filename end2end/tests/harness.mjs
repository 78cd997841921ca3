// Starts a real Parley (the binary scripts/build produced) on a fresh SQLite database and a
// free loopback port, and a headless Debian Chromium driven by playwright-core.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "../..");
const binary = process.env.PARLEY_BIN ?? join(root, "target/debug/parley");
export const screenshotDir = join(root, "end2end/screenshots");

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/** Team members every test can sign in as. */
export const team = {
  admin: { email: "ada@parley.test", name: "Ada Admin", role: "admin", password: "admin-password-1" },
  agent: { email: "bo@parley.test", name: "Bo Agent", role: "agent", password: "agent-password-1" },
};

export async function startParley() {
  const dir = mkdtempSync(join(tmpdir(), "parley-e2e-"));
  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite:${join(dir, "parley.db")}`,
    PARLEY_DATA_DIR: join(dir, "data"),
    LEPTOS_SITE_ROOT: join(root, "target/site"),
    PARLEY_BIND: `127.0.0.1:${port}`,
    PARLEY_ADMIN_EMAIL: team.admin.email,
    RUST_LOG: process.env.PARLEY_LOG ?? "warn",
  };
  for (const member of Object.values(team)) {
    execFileSync(binary, ["user", "add", "--email", member.email, "--name", member.name, "--role", member.role], {
      env: { ...env, PARLEY_PASSWORD: member.password },
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  // The simulator's controls need its secret, which only Parley holds: customers are made to
  // write in through Parley's admin-only sandbox API.
  const adminToken = execFileSync(binary, ["token", "create", "--email", team.admin.email, "--name", "end2end"], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  })
    .toString()
    .trim();
  // No WA_ACCESS_TOKEN: Parley runs against its built-in WhatsApp simulator (sandbox mode),
  // at a pace brisk enough for tests; its address is printed on stdout.
  env.PARLEY_SANDBOX_SPEED = process.env.PARLEY_SANDBOX_SPEED ?? "5";
  const server = spawn(binary, ["serve"], { env, stdio: ["ignore", "pipe", "inherit"] });
  let simulator;
  const simulatorKnown = new Promise((ok) => {
    server.stdout.on("data", (chunk) => {
      const found = /simulator \((http:\/\/[^)]+)\)/.exec(chunk.toString());
      if (found) {
        simulator = found[1];
        ok();
      }
    });
  });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (attempt > 200 || server.exitCode !== null) throw new Error("Parley did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  await simulatorKnown;
  return {
    url,
    simulator,
    /** A simulated customer (by phone number) writes in now. */
    customerWrites: async (waId, content) => {
      const response = await fetch(`${url}/api/v1/sandbox/customers/${waId}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
        body: JSON.stringify(content),
      });
      if (!response.ok) throw new Error(`sandbox refused: ${response.status}`);
    },
    /** What Parley asked of the simulated Graph API: `{calls, sent}` (see the sandbox API). */
    graphCalls: async () => {
      const response = await fetch(`${url}/api/v1/sandbox/graph_calls`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      if (!response.ok) throw new Error(`sandbox refused: ${response.status}`);
      return response.json();
    },
    /** An admin's REST call, for arranging what a test needs. */
    api: async (method, path, body) => {
      const response = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return response.status === 204 ? null : response.json();
    },
    stop: () =>
      new Promise((ok) => {
        server.once("exit", ok);
        server.kill("SIGTERM");
      }),
  };
}

export async function launchBrowser() {
  mkdirSync(screenshotDir, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export async function signIn(page, url, member) {
  await page.goto(`${url}/login`);
  await page.getByLabel("Email").fill(member.email);
  await page.getByLabel("Password").fill(member.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** A fresh browser context signed in as `member` on a hydrated inbox, collecting page errors. */
export async function signedInPage(browser, url, member) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await signIn(page, url, member);
  await page.waitForURL(`${url}/inbox`);
  await page.waitForSelector("body[data-hydrated=true]");
  return { context, page, errors };
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}
