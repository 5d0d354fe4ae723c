import puppeteer from "puppeteer-core";
import { serve } from "../../tools/serve.mjs";
const server = await serve("www", 0);
const origin = `http://127.0.0.1:${server.address().port}`;
const b = await puppeteer.launch({ browser: "firefox", executablePath: "/usr/bin/firefox-esr", headless: true, defaultViewport: null,
  extraPrefsFirefox: { "media.autoplay.default": 0 } });
const p = await b.newPage();
p.on("console", (m) => console.log("console", m.type(), m.text()));
p.on("pageerror", (e) => console.log("pageerror", e.message));
await p.goto(`${origin}/swim.html?test`);
await p.waitForSelector("html[data-ready=true]");
await p.click("#start");
await new Promise(r => setTimeout(r, 8000));
console.log(await p.evaluate(() => JSON.stringify({...document.documentElement.dataset}) + " | " + document.getElementById("message")?.textContent + " | " + (window.__swim && JSON.stringify(window.__swim.state, (k, v) => typeof v === "object" && v && k ? undefined : v))));
const ctx = await p.evaluate(async () => { const c = new AudioContext(); const s = c.state; await c.resume().catch(()=>{}); return s + "->" + c.state; });
console.log(ctx);
await b.close(); server.close();
