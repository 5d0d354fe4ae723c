import puppeteer from "puppeteer-core";
const prefs = JSON.parse(process.argv[2] || "{}");
const b = await puppeteer.launch({ env: { ...process.env, HOME: process.env.FFHOME ?? process.env.HOME }, browser: "firefox", executablePath: "/usr/bin/firefox-esr", headless: true, defaultViewport: null, extraPrefsFirefox: prefs, dumpio: process.argv[3] === "dump" });
const p = await b.newPage();
await p.goto("data:text/html,<p>x</p>");
try {
const r = await Promise.race([p.evaluate(eval(process.argv[4])), new Promise(r => setTimeout(() => r("timeout"), 15000))]);
console.log(r);
} catch (e) { console.log("err", e.message); }
await b.close().catch(()=>{});
