// flow.mjs: one Lighthouse run on a signed-in page of Tessera, reached as
// staff reach it: from another page of Tessera in the same tab, rather than
// from about:blank as the lighthouse command starts every run. Lighthouse's
// own settings stay its defaults (mobile, simulated throttling), as the
// command's do. scripts/lighthouse runs it for `-from`; docs/performance.md
// ("Lighthouse") says why the starting page matters.
//
//	TESSERA_COOKIE='name=value; …' node flow.mjs URL FROM REPORT.json
//
// writes the report (the same JSON as the command's --output=json) and the
// run's trace beside it (REPORT-0.trace.json, as --save-assets names it).
// It runs from the directory Lighthouse is installed in (scripts/lighthouse.sh
// copies it there), where `lighthouse` and `puppeteer-core` resolve.
import {writeFileSync} from 'node:fs';
import puppeteer from 'puppeteer-core';
import {startFlow} from 'lighthouse';

const [url, from, out] = process.argv.slice(2);
const cookie = process.env.TESSERA_COOKIE;
if (!out || !cookie) {
  console.error('usage: TESSERA_COOKIE=… node flow.mjs URL FROM REPORT.json');
  process.exit(2);
}
const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH,
  headless: 'new',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage();
  const origin = new URL(url).origin;
  // The session goes in the browser's cookie jar, not a header: the
  // navigation below keeps the jar, and Tessera's own Set-Cookie headers
  // then work as they do for staff.
  await page.setCookie(...cookie.split('; ').map((kv) => {
    const i = kv.indexOf('=');
    return {name: kv.slice(0, i), value: kv.slice(i + 1), url: origin};
  }));
  await page.goto(from, {waitUntil: 'networkidle2'});
  // A cold load like the command's, but for the cookies: the page's files
  // are fetched again.
  const cdp = await page.createCDPSession();
  await cdp.send('Network.clearBrowserCache');
  const flow = await startFlow(page, {config: {extends: 'lighthouse:default', settings: {
    onlyCategories: ['performance', 'accessibility', 'best-practices'],
  }}});
  await flow.navigate(url, {skipAboutBlank: true, disableStorageReset: true});
  const result = await flow.createFlowResult();
  writeFileSync(out, JSON.stringify(result.steps[0].lhr));
  const artifacts = flow.createArtifactsJson();
  writeFileSync(out.replace(/\.json$/, '-0.trace.json'), JSON.stringify(artifacts.gatherSteps[0].artifacts.Trace));
} finally {
  await browser.close();
}
