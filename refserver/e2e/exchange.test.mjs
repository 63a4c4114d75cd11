// The relay's web page end to end, in headless Chromium against a real relay (run by `cargo xtask browser`, which
// sets the environment below). One browser per office, each presenting its own client certificate from its own NSS
// database: the care manager drops files, sees a finding, fixes the file and sends; the provider opens the inbox,
// previews the plan as its form, downloads, acknowledges; the care manager sees the status change; a third office
// cannot open the message, nor tell it exists; the provider takes an anonymised copy for its vendor; the care
// manager prints its exchange record (送受信記録) and saves it signed, and the signature is checked.
// Every step leaves a screenshot in $ARTIFACTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through \`cargo xtask browser\``);
  return value;
};
const RELAY = env('RELAY_URL');
const FIXTURES = env('FIXTURES');
const ARTIFACTS = env('ARTIFACTS');
const RECIPIENT = '1370002058';
const STEP_TIMEOUT = 60_000;

// The flags a locked-down machine needs: no sandbox (root in CI), no GPU, no calls to Google's services.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--lang=ja-JP'];

/** A browser for one office: HOME points at the folder whose NSS database holds that office's certificate. */
async function officeBrowser(home) {
  const browser = await chromium.launch({ executablePath: env('CHROMIUM'), args: ARGS, env: { ...process.env, HOME: home } });
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'ja-JP', acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`); });
  return { browser, page, problems };
}

const file = (...parts) => join(FIXTURES, ...parts);
const planFiles = (folder) => readdirSync(file(folder))
  .filter((name) => /^(UP1KYO|UP2KYO|UP3KYO|UPHOSOKU_000000)_/.test(name))
  .map((name) => ({ name, path: file(folder, name) }));
const ticketFiles = (folder) => readdirSync(file(folder))
  .filter((name) => /^(UPPLAN|UPSIKYU|UPHOSOKU_202505)_.*_20250425090500\.CSV$/.test(name))
  .map((name) => ({ name, path: file(folder, name) }));

/** Drops files on the drop zone the way a drag from the desktop arrives: a `drop` event carrying File objects. */
async function dropFiles(page, files) {
  const payload = files.map(({ name, path }) => ({ name, base64: readFileSync(path).toString('base64') }));
  const dataTransfer = await page.evaluateHandle((items) => {
    const transfer = new DataTransfer();
    for (const { name, base64 } of items) {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], name, { type: 'text/csv' }));
    }
    return transfer;
  }, payload);
  await page.dispatchEvent('#drop', 'dragenter', { dataTransfer });
  await page.dispatchEvent('#drop', 'drop', { dataTransfer });
}

async function shot(page, name, options = {}) {
  await page.screenshot({ path: join(ARTIFACTS, name), ...options });
}

let sender;
let recipient;
let outsider;
const state = {};

/** A step of the story; on failure both browsers' screens are saved next to the step's screenshots. */
function step(name, body) {
  test(name, { timeout: STEP_TIMEOUT }, async () => {
    try {
      await body();
    } catch (error) {
      const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
      await shot(sender.page, `failed-${slug}-sender.png`).catch(() => {});
      await shot(recipient.page, `failed-${slug}-recipient.png`).catch(() => {});
      throw error;
    }
  });
}

before(async () => {
  sender = await officeBrowser(env('SENDER_HOME'));
  recipient = await officeBrowser(env('RECIPIENT_HOME'));
  outsider = await officeBrowser(env('OUTSIDER_HOME'));
});

after(async () => {
  await sender?.browser.close();
  await recipient?.browser.close();
  await outsider?.browser.close();
});

step('the page opens over mutual TLS and names the office from its certificate', async () => {
  const { page } = sender;
  const response = await page.goto(`${RELAY}/`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-security-policy'], /default-src 'none'/);
  await page.locator('#me strong').filter({ hasText: 'さくら居宅介護支援事業所' }).waitFor();
  assert.equal(await page.locator('#send-button').isDisabled(), true);
  await shot(page, '01-send-empty.png');
});

step('a bad file set shows its finding with line, item and rule code, and cannot be sent', async () => {
  const { page } = sender;
  await dropFiles(page, planFiles('invalid/FLD006-february-30'));
  const bad = page.locator('article.file.bad', { hasText: 'UP1KYO_' });
  await bad.waitFor();
  const finding = bad.locator('tr.finding.error', { hasText: 'FLD006' });
  await finding.waitFor();
  const text = await finding.innerText();
  assert.match(text, /1 行目/);
  assert.match(text, /第1表 No\.18 認定日/);
  assert.match(text, /20250230/);
  // What to do next: the rule's 直し方, and that the fix belongs in the care software.
  assert.match(text, /直し方/);
  assert.match(await bad.locator('caption .next-step').innerText(), /介護ソフトで直して/);
  await page.locator('#check-status', { hasText: 'エラー' }).waitFor();
  assert.equal(await page.locator('article.file.good').count(), 3);
  assert.equal(await page.locator('#send-button').isDisabled(), true);
  // The recipient comes from the file names.
  assert.equal(await page.locator('#recipient').inputValue(), RECIPIENT);
  await page.locator('#send-blocked', { hasText: 'エラーが' }).waitFor();
  await shot(page, '02-bad-file.png', { fullPage: true });
});

step('the corrected file, chosen with the file picker, replaces the bad one and the set can be sent', async () => {
  const { page } = sender;
  const fixed = planFiles('valid/kaigo2-new-plan').filter(({ name }) => name.startsWith('UP1KYO_'));
  const chooser = page.waitForEvent('filechooser');
  await page.locator('#choose').focus();
  await page.keyboard.press('Enter');
  await (await chooser).setFiles(fixed.map(({ path }) => path));
  await page.locator('article.file.good').nth(3).waitFor();
  assert.equal(await page.locator('article.file').count(), 4);
  assert.equal(await page.locator('tr.finding.error').count(), 0);
  await page.locator('#send-button:enabled').waitFor();
  await shot(page, 'send-page.png');
});

step('sending shows the message id and status', async () => {
  const { page } = sender;
  await page.locator('#send-button').click();
  const id = page.locator('.result.ok .message-id');
  await id.waitFor();
  state.planMessage = (await id.innerText()).trim();
  assert.match(state.planMessage, /\S+/);
  assert.match(await page.locator('.result.ok .status').innerText(), /送信済み/);
  assert.equal(await page.locator('article.file').count(), 0);
  await shot(page, '03-sent.png');
});

step('the service ticket set is sent the same way', async () => {
  const { page } = sender;
  await dropFiles(page, ticketFiles('valid/kaigo2-new-plan'));
  await page.locator('article.file.good').nth(2).waitFor();
  await page.locator('#send-button:enabled').waitFor();
  await page.locator('#send-button').click();
  await page.locator('.result.ok .message-id').waitFor();
  state.ticketMessage = (await page.locator('.result.ok .message-id').innerText()).trim();
  assert.notEqual(state.ticketMessage, state.planMessage);
});

step('the outbox lists the send as sent', async () => {
  const { page } = sender;
  await page.locator('#tab-outbox').click();
  const row = page.locator(`tr[data-message="${state.planMessage}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /ヘルパーステーションひまわり/);
  assert.match(await row.locator('.status-cell').innerText(), /送信済み（未読）/);
  // Whose unit it is, without opening it: the name from 利用者補足情報; a ticket unit also says its month.
  assert.match(await row.locator('td.subject').innerText(), /加藤　和子[\s\S]*計画書/);
  const ticket = page.locator(`tr[data-message="${state.ticketMessage}"] td.subject`);
  assert.match(await ticket.innerText(), /加藤　和子[\s\S]*2025年5月分/);
  await shot(page, '04-outbox-sent.png');
});

step('the recipient sees both messages in its inbox', async () => {
  const { page } = recipient;
  await page.goto(`${RELAY}/#inbox`);
  await page.locator('#me strong').filter({ hasText: 'ヘルパーステーションひまわり' }).waitFor();
  const row = page.locator(`tr[data-message="${state.planMessage}"]`);
  await row.waitFor();
  await page.locator(`tr[data-message="${state.ticketMessage}"]`).waitFor();
  assert.match(await row.innerText(), /さくら居宅介護支援事業所/);
  assert.match(await row.innerText(), /第2表/);
  // A clerk reads what it has not opened yet as unread, not as the sender's "sent".
  assert.match(await row.locator('.status-cell').innerText(), /未読/);
  assert.match(await row.locator('td.subject').innerText(), /加藤　和子[\s\S]*計画書/);
  assert.match(await page.locator(`tr[data-message="${state.ticketMessage}"] td.subject`).innerText(), /加藤　和子[\s\S]*2025年5月分/);
  assert.equal(await page.locator('#inbox-count').innerText(), '2');
  // Unread units come in the order they were sent (the plan before the ticket), as they are to be imported.
  const order = await page.locator('#inbox-table tbody tr').evaluateAll((rows) => rows.map((row) => row.dataset.message));
  assert.deepEqual(order.slice(0, 2), [state.planMessage, state.ticketMessage]);
  await shot(page, '05-inbox.png');
});

step('第2表 previews as its form: needs, goals and services, with the person from the supplement', async () => {
  const { page } = recipient;
  const row = page.locator(`tr[data-message="${state.planMessage}"]`);
  await row.locator('li[data-file^="UP2KYO_"]').locator('a.preview-link').click();
  await page.locator('.form-title h1', { hasText: '居宅サービス計画書（2）' }).waitFor();
  const grid = page.locator('table.grid');
  assert.match(await grid.locator('thead').innerText(), /長期目標/);
  assert.ok((await grid.locator('tbody tr').count()) >= 3);
  assert.match(await page.locator('td.person').innerText(), /殿/);
  assert.match(await grid.innerText(), /訪問介護/);
  await shot(page, 'preview-table2.png', { fullPage: true });
  // The print stylesheet: A4 landscape, no toolbar.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('nav.toolbar').isVisible(), false);
  const pdf = await page.pdf({ path: join(ARTIFACTS, 'preview-table2.pdf'), preferCSSPageSize: true, printBackground: true });
  const [width, height] = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(pdf.toString('latin1')).slice(1).map(Number);
  assert.ok(Math.abs(width - 841.9) < 1 && Math.abs(height - 595.3) < 1, `A4 landscape, not ${width}×${height} pt`);
  await page.emulateMedia({ media: 'screen' });
  await page.goBack();
});

step('第1表, the monthly 第6表 grid with totals that match the file, and 第7表 preview', async () => {
  const { page } = recipient;
  const plan = page.locator(`tr[data-message="${state.planMessage}"]`);
  await plan.locator('li[data-file^="UP1KYO_"]').locator('a.preview-link').click();
  await page.locator('.form-title h1', { hasText: '居宅サービス計画書（1）' }).waitFor();
  assert.match(await page.locator('[data-item="overall_support_policy"]').innerText(), /\S/);
  assert.match(await page.locator('[data-item="care_level"]').innerText(), /要介護２/);
  await shot(page, 'preview-table1.png', { fullPage: true });
  await page.goBack();

  const ticket = page.locator(`tr[data-message="${state.ticketMessage}"]`);
  await ticket.locator('li[data-file^="UPPLAN_"]').locator('a.preview-link').click();
  await page.locator('.form-title h1', { hasText: 'サービス利用票（予定）' }).waitFor();
  // Units × count over every record of the file, read from the CSV itself (numbers are ASCII in Shift_JIS).
  const [planFile] = ticketFiles('valid/kaigo2-new-plan').filter(({ name }) => name.startsWith('UPPLAN_'));
  const expected = readFileSync(planFile.path, 'latin1').split(/\r?\n/).filter(Boolean)
    .map((line) => line.split(','))
    .reduce((sum, fields) => sum + Number(fields[7] || 0) * Number(fields[13] || 1), 0);
  // shown with thousands separators, as the form prints amounts
  assert.equal(await page.locator('[data-total-units]').innerText(), expected.toLocaleString('en-US'));
  assert.equal(await page.locator('table.month thead th.sun').count() > 0, true);
  await shot(page, 'preview-table6.png', { fullPage: true });
  await page.goBack();

  await ticket.locator('li[data-file^="UPSIKYU_"]').locator('a.preview-link').click();
  await page.locator('.form-title h1', { hasText: 'サービス利用票別表' }).waitFor();
  assert.match(await page.locator('table.grid thead').innerText(), /区分支給限度基準内単位数/);
  // totals named, not their marker codes; amounts with separators; a service code with its kind's name
  const table7 = await page.locator('table.grid tbody').innerText();
  assert.match(table7, /合計/);
  assert.doesNotMatch(table7, /9999999999|999999|AAAA/);
  assert.match(table7, /111,622/);
  assert.match(table7, /111211\s*訪問介護/);
  await shot(page, 'preview-table7.png', { fullPage: true });
  await page.goBack();
});

step('a page on another site cannot make the office\'s browser download or acknowledge', async () => {
  // The recipient's browser presents its certificate to the relay on every request, also on those a page on
  // another site triggers: an image that "downloads" a file, a no-cors fetch and a form that post an ack. The
  // other site is a server on this machine (http://localhost), so the browser's own private-network rules do not
  // stop the requests before they reach the relay: the relay itself must refuse them.
  const { page } = recipient;
  const [upplan] = ticketFiles('valid/kaigo2-new-plan').filter(({ name }) => name.startsWith('UPPLAN_'));
  const base = `${RELAY}/v1/messages/${encodeURIComponent(state.ticketMessage)}`;
  const body = `<!doctype html><img src="${base}/files/${encodeURIComponent(upplan.name)}">
    <form id="f" method="post" enctype="text/plain" action="${base}/ack"><input name="x" value="y"></form>
    <script>fetch('${base}/ack', { method: 'POST', mode: 'no-cors', credentials: 'include' })
      .finally(() => document.getElementById('f').submit());</script>`;
  const site = createServer((_, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(body));
  await new Promise((resolve) => site.listen(0, 'localhost', resolve));
  const evil = await page.context().newPage();
  const answers = [];
  evil.on('response', (response) => {
    if (response.url().startsWith(RELAY)) answers.push(`${response.request().resourceType()} ${response.status()}`);
  });
  evil.on('requestfailed', (request) => answers.push(`${request.resourceType()} failed: ${request.failure()?.errorText}`));
  const posted = evil.waitForResponse((r) => r.url() === `${base}/ack` && r.request().resourceType() === 'document');
  try {
    await evil.goto(`http://localhost:${site.address().port}/`);
    await posted;
  } finally {
    await evil.close();
    site.close();
  }
  // The image's answer (403 JSON) is withheld by the browser's own opaque-response blocking; whether the relay
  // acted on it shows in the status below.
  const answered = answers.filter((answer) => /^\w+ \d{3}$/.test(answer)).sort();
  assert.deepEqual(answered, ['document 403', 'fetch 403'], `the relay answered: ${answers}`);
  await page.locator('[data-refresh="inbox"]').click();
  const row = page.locator(`tr[data-message="${state.ticketMessage}"]`);
  await row.locator('.status-cell', { hasText: '未読' }).waitFor();
});

step('downloading a file gives the original bytes under its standard-spec name', async () => {
  const { page } = recipient;
  const row = page.locator(`tr[data-message="${state.planMessage}"]`);
  await row.waitFor();
  const link = row.locator('li[data-file^="UP2KYO_"]').locator('a.download-link');
  // Shown short (kind and time), the whole standard name on hover.
  assert.match(await link.innerText(), /^UP2KYO \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}$/);
  assert.match(await link.getAttribute('title'), /^UP2KYO_\d{10}_43_\d{10}_11_\d{14}\.CSV$/);
  const downloading = page.waitForEvent('download');
  await link.click();
  const download = await downloading;
  const [original] = planFiles('valid/kaigo2-new-plan').filter(({ name }) => name.startsWith('UP2KYO_'));
  assert.equal(download.suggestedFilename(), original.name);
  const saved = join(ARTIFACTS, original.name);
  await download.saveAs(saved);
  assert.deepEqual(readFileSync(saved), readFileSync(original.path));
  await page.locator('[data-refresh="inbox"]').click();
  await row.locator('.status-cell', { hasText: 'ダウンロード済み' }).waitFor();
});

step('acknowledging from the keyboard marks the message acknowledged', async () => {
  const { page } = recipient;
  const row = page.locator(`tr[data-message="${state.planMessage}"]`);
  await row.locator('button.ack').focus();
  await page.keyboard.press('Enter');
  await row.locator('.status-cell', { hasText: '受領済み' }).waitFor();
  assert.equal(await row.locator('button.ack').isDisabled(), true);
  await page.locator('#inbox-count', { hasText: '1' }).waitFor();
  await shot(page, '06-inbox-acknowledged.png');
});

step('the recipient takes a copy without personal data for its vendor', async () => {
  const { page } = recipient;
  const row = page.locator(`tr[data-message="${state.planMessage}"]`);
  const link = row.locator('a.anonymised-link');
  assert.match(await link.innerText(), /個人情報を伏せてダウンロード/);
  const downloading = page.waitForEvent('download');
  await link.click();
  const download = await downloading;
  assert.match(download.suggestedFilename(), /^\d{14}_anonymised\.zip$/);
  const saved = join(ARTIFACTS, download.suggestedFilename());
  await download.saveAs(saved);
  const zip = readFileSync(saved);
  assert.equal(zip.subarray(0, 4).toString('latin1'), 'PK\x03\x04');
  assert.ok(zip.includes('anonymised-report.txt'), 'the zip says what was replaced');
  // The 被保険者番号 and the name of the unit's 利用者 are nowhere in it (the zip stores files uncompressed).
  const [supplement] = planFiles('valid/kaigo2-new-plan').filter(({ name }) => name.startsWith('UPHOSOKU_'));
  const fields = readFileSync(supplement.path, 'latin1').split(',');
  const insured = fields[2];
  assert.match(insured, /^\d{10}$/);
  assert.equal(zip.includes(insured, 0, 'latin1'), false, `${insured} is still in the copy`);
  assert.equal(zip.includes(Buffer.from(fields[5].replaceAll('"', ''), 'latin1')), false, 'the name is still in the copy');
  // Taking the copy is not taking the unit: the status stays. Judged on the service ticket, still unread — the plan
  // is acknowledged, a final state no download could move, so a check on it could not fail. The relay's answer
  // after the copy has arrived decides; the sender's outbox shows the ticket unread in the next step.
  const ticketRow = page.locator(`tr[data-message="${state.ticketMessage}"]`);
  assert.match(await ticketRow.locator('.status-cell').innerText(), /未読/);
  const ticketCopy = page.waitForEvent('download');
  await ticketRow.locator('a.anonymised-link').click();
  await (await ticketCopy).saveAs(join(ARTIFACTS, 'ticket-anonymised.zip'));
  const status = await page.evaluate(async (id) => {
    const response = await fetch(`/v1/messages/${id}`, { headers: { 'X-Careplan-Client': '1' } });
    return (await response.json()).status;
  }, state.ticketMessage);
  assert.equal(status, 'sent', 'taking an anonymised copy marks the ticket neither downloaded nor acknowledged');
  await page.locator('[data-refresh="inbox"]').click();
  await page.locator('#inbox-count', { hasText: '1' }).waitFor();
  assert.match(await ticketRow.locator('.status-cell').innerText(), /未読/);
});

step('the sender sees the acknowledgement in its outbox', async () => {
  const { page } = sender;
  await page.locator('[data-refresh="outbox"]').click();
  const row = page.locator(`tr[data-message="${state.planMessage}"]`);
  await row.locator('.status-cell', { hasText: '受領済み' }).waitFor();
  assert.match(await page.locator(`tr[data-message="${state.ticketMessage}"] .status-cell`).innerText(), /送信済み（未読）/);
  await shot(page, '07-outbox-acknowledged.png');
});

step('the sender prints its exchange record for the month and saves it signed', async () => {
  const { page } = sender;
  await page.locator('#tab-record').click();
  await page.locator('#view-record').waitFor();
  await page.locator('#record-print').click();
  await page.locator('.form-title h1', { hasText: '送受信記録' }).waitFor();
  const messages = page.locator('table.evidence-messages tbody');
  assert.match(await messages.innerText(), /UP2KYO_\d{10}_43_\d{10}_11_\d{14}\.CSV/);
  assert.match(await messages.innerText(), /ヘルパーステーションひまわり/);
  // The plan was downloaded and acknowledged; the ticket is still unread.
  assert.match(await messages.innerText(), /受信|送信/);
  assert.doesNotMatch(await page.locator('body').innerText(), /加藤/, 'no 利用者 on the record');
  await shot(page, 'evidence-print.png', { fullPage: true });
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('nav.toolbar').isVisible(), false);
  const pdf = await page.pdf({ path: join(ARTIFACTS, 'evidence.pdf'), preferCSSPageSize: true, printBackground: true });
  const [width, height] = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(pdf.toString('latin1')).slice(1).map(Number);
  assert.ok(Math.abs(width - 841.9) < 1 && Math.abs(height - 595.3) < 1, `A4 landscape, not ${width}×${height} pt`);
  await page.emulateMedia({ media: 'screen' });
  await page.goBack();
  await page.locator('#view-record').waitFor();
  const downloading = page.waitForEvent('download');
  await page.locator('#record-download').click();
  const download = await downloading;
  assert.match(download.suggestedFilename(), /^送受信記録_\d{4}-\d{2}\.zip$/);
  const saved = join(ARTIFACTS, 'exchange-record.zip');
  await download.saveAs(saved);
  const verified = execFileSync(env('REFSERVER'), ['evidence', 'verify', saved, '--pki', env('PKI')], { encoding: 'utf8' });
  assert.match(verified, /the signature holds/);
  await shot(page, '09-record.png');
});

step('a third office cannot open a message between two others, nor tell that it exists', async () => {
  const { page } = outsider;
  await page.goto(`${RELAY}/#inbox`);
  await page.locator('#me strong').filter({ hasText: 'デイサービスあおば' }).waitFor();
  await page.locator('#view-inbox .empty').waitFor();
  const [plan2] = planFiles('valid/kaigo2-new-plan').filter(({ name }) => name.startsWith('UP2KYO_'));
  const MADE_UP = 'm_00000000000000000000';
  const answer = async (id) => {
    const response = await page.goto(`${RELAY}/preview/${id}/${plan2.name}`);
    const text = (await page.locator('body').innerText()).replaceAll(id, '<id>');
    // The same request from the page's own script, as the web page downloads a file.
    const download = await page.evaluate(async (url) => (await fetch(url, { headers: { 'X-Careplan-Client': '1' } })).status,
      `${RELAY}/v1/messages/${id}/files/${plan2.name}`);
    return { status: response.status(), text, download };
  };
  const real = await answer(state.planMessage);
  const madeUp = await answer(MADE_UP);
  assert.deepEqual(real, madeUp, 'a message between two other offices must look like one that does not exist');
  assert.equal(real.status, 404);
  assert.equal(real.download, 404);
  await shot(page, '08-outsider-not-found.png');
});

step('no script errors on any page; the third office saw only the 404s it asked for', async () => {
  const all = [...sender.problems, ...recipient.problems, ...outsider.problems];
  writeFileSync(join(ARTIFACTS, 'console.txt'), all.join('\n'));
  assert.deepEqual([...sender.problems, ...recipient.problems], []);
  // Chromium logs each refused resource as a console error: two previews and two downloads.
  assert.equal(outsider.problems.length, 4, outsider.problems.join('\n'));
  for (const problem of outsider.problems) assert.match(problem, /status of 404/);
});
