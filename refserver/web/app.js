// The relay's web page: send (drop, check, choose the recipient, send), inbox and outbox. Plain JavaScript over the
// JSON API of the same origin; the browser's client certificate identifies the office, so there is no login.
'use strict';

(function () {
  const $ = (selector, root = document) => root.querySelector(selector);

  // Sent with every API call: the relay refuses sends, downloads and acks without it, because a request another
  // site makes this browser send (a form, an image) cannot carry it and would otherwise act with the office's
  // certificate.
  const CLIENT_HEADER = { 'X-Careplan-Client': '1' };

  // A download link fetches the file with that header and saves what came back under the link's name (the saved
  // copy's own blob: link is left to the browser).
  document.addEventListener('click', async (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const link = target ? target.closest('a[download]:not([href^="blob:"])') : null;
    if (!link) return;
    event.preventDefault();
    try {
      const response = await fetch(link.href, { credentials: 'same-origin', headers: CLIENT_HEADER });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        throw new Error(body.message || `HTTP ${response.status}`);
      }
      const url = URL.createObjectURL(await response.blob());
      const save = document.createElement('a');
      save.href = url;
      save.download = link.getAttribute('download') || '';
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (error) {
      alert(`ダウンロードできませんでした / Could not download: ${error.message}`);
    }
  });

  // A form preview only needs its print button and its download link.
  if (document.body.dataset.page !== 'app') {
    const print = $('#print');
    if (print) print.addEventListener('click', () => window.print());
    return;
  }

  const KINDS = JSON.parse($('#kinds').textContent);
  // Statuses named for the clerk who reads them: the recipient sees what it has done, the sender what the other
  // side has done.
  const STATUS = {
    inbox: {
      sent: ['未読', 'unread'],
      downloaded: ['ダウンロード済み', 'downloaded'],
      acknowledged: ['受領済み', 'acknowledged'],
    },
    outbox: {
      sent: ['送信済み（未読）', 'sent, not yet opened'],
      downloaded: ['相手がダウンロード済み', 'downloaded by the recipient'],
      acknowledged: ['受領済み', 'acknowledged by the recipient'],
    },
  };
  const SEVERITY = { error: ['エラー', 'error'], warning: ['警告', 'warning'] };
  // KIND[_YYYYMM]_SENDER_SK_RECIPIENT_SK_SERIAL… (spec §5): the recipient office is the third number.
  const NAME_PATTERN = /_(\d{10})_([0-9A-Z]{2})_(\d{10})_([0-9A-Z]{2})_(\d{14})/;

  /** `1 error`, `2 errors`. */
  const counted = (n, noun) => `${n} ${noun}${n === 1 ? '' : 's'}`;

  /** Text with its English beside it, as DOM nodes. */
  function bilingual(ja, en) {
    const span = document.createElement('span');
    span.append(ja + ' ');
    const small = document.createElement('small');
    small.textContent = en;
    span.append(small);
    return span;
  }

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : value);
    }
    node.append(...children.filter((child) => child !== null && child !== undefined));
    return node;
  }

  async function api(path, options = {}) {
    const response = await fetch(path, { credentials: 'same-origin', ...options, headers: { ...CLIENT_HEADER, ...options.headers } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(body.message || `HTTP ${response.status}`);
      error.body = body;
      error.status = response.status;
      throw error;
    }
    return body;
  }

  /** POST a form with upload progress (fetch cannot report it). */
  function upload(path, form, headers, onProgress) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open('POST', path);
      for (const [key, value] of Object.entries({ ...CLIENT_HEADER, ...headers })) request.setRequestHeader(key, value);
      request.responseType = 'json';
      request.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      request.addEventListener('load', () => {
        const body = request.response || {};
        if (request.status >= 200 && request.status < 300) resolve(body);
        else {
          const error = new Error(body.message || `HTTP ${request.status}`);
          error.body = body;
          error.status = request.status;
          reject(error);
        }
      });
      request.addEventListener('error', () => reject(new Error('通信できませんでした / network error')));
      request.send(form);
    });
  }

  const dateTime = (text) => (text ? new Date(text).toLocaleString('ja-JP') : '');

  // ---- who am I, and office names -------------------------------------------------------------------------------

  const officeNames = new Map();
  async function officeName(number) {
    if (!officeNames.has(number)) {
      officeNames.set(
        number,
        api(`/v1/offices?q=${encodeURIComponent(number)}`)
          .then((body) => (body.offices.find((o) => o.number === number) || {}).name || '')
          .catch(() => ''),
      );
    }
    return officeNames.get(number);
  }

  let me = null;
  api('/v1/me')
    .then((office) => {
      me = office;
      $('#me').replaceChildren(
        bilingual('ログイン中の事業所', 'Your office'),
        ' ',
        el('strong', {}, office.name),
        ` (${office.number})`,
      );
    })
    .catch((error) => {
      $('#me').replaceChildren(bilingual(`事業所を確認できません: ${error.message}`, 'office not recognised'));
    });

  // ---- views ----------------------------------------------------------------------------------------------------

  const views = ['send', 'inbox', 'outbox', 'record'];
  function show() {
    const name = views.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'send';
    for (const view of views) {
      $(`#view-${view}`).hidden = view !== name;
      const tab = $(`#tab-${view}`);
      if (view === name) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
    if (name === 'inbox' || name === 'outbox') loadMailbox(name);
  }
  window.addEventListener('hashchange', () => {
    show();
    $('#main').focus();
  });

  // ---- send: files and their check ------------------------------------------------------------------------------

  /** name → File; the files of the send being prepared */
  const files = new Map();
  let check = null; // the last /v1/validate answer for exactly these files
  let checking = 0; // generation, so a late answer for an older set is ignored
  let sending = false;

  function addFiles(list) {
    for (const file of list) files.set(file.name, file);
    $('#send-result').replaceChildren();
    runCheck();
    suggestRecipient();
  }

  async function runCheck() {
    const generation = ++checking;
    check = null;
    render();
    if (files.size === 0) return;
    const form = new FormData();
    for (const file of files.values()) form.append('file', file, file.name);
    $('#check-status').replaceChildren(bilingual('ファイルを検査しています…', 'Checking the files…'));
    try {
      const report = await upload('/v1/validate', form, {}, () => {});
      if (generation !== checking) return;
      check = report;
      $('#check-status').replaceChildren(
        report.errors > 0
          ? bilingual(`エラー ${report.errors} 件、警告 ${report.warnings} 件があります。修正してから送信してください。`,
            `${counted(report.errors, 'error')}, ${counted(report.warnings, 'warning')}: fix the files before sending`)
          : bilingual(`検査済み: エラーなし（警告 ${report.warnings} 件）`, `checked: no errors (${counted(report.warnings, 'warning')})`),
      );
    } catch (error) {
      if (generation !== checking) return;
      $('#check-status').replaceChildren(bilingual(`検査できませんでした: ${error.message}`, 'the check failed'));
    }
    render();
  }

  function findingRow(finding) {
    const [ja, en] = SEVERITY[finding.severity] || [finding.severity, ''];
    return el(
      'tr',
      { class: `finding ${finding.severity}` },
      el('td', {}, bilingual(ja, en)),
      el('td', { class: 'rule' }, el('code', {}, finding.rule), el('br'), el('small', {}, finding.title)),
      el('td', { class: 'num' }, finding.line ? `${finding.line} 行目` : 'ファイル全体'),
      el('td', {}, finding.item || ''),
      el('td', {}, finding.value ? el('code', { class: 'value' }, finding.value) : ''),
      el('td', {}, finding.message, el('br'), el('small', { lang: 'en' }, finding.message_en),
        el('p', { class: 'fix' }, el('strong', {}, '直し方 '), finding.fix, ' ',
          el('small', { lang: 'en' }, `How to fix: ${finding.fix_en}`))),
    );
  }

  function findingsTable(findings, caption) {
    return el(
      'table',
      { class: 'findings' },
      el('caption', {}, caption, el('br'),
        el('small', { class: 'next-step' }, '介護ソフトで直してもう一度出力し、そのファイルをここに入れ直してください。',
          ' Fix it in your care software, export again and drop the new file here.')),
      el('thead', {}, el('tr', {},
        el('th', { scope: 'col' }, bilingual('重要度', 'Severity')),
        el('th', { scope: 'col' }, bilingual('ルール', 'Rule')),
        el('th', { scope: 'col' }, bilingual('行', 'Line')),
        el('th', { scope: 'col' }, bilingual('項目', 'Item')),
        el('th', { scope: 'col' }, bilingual('値', 'Value')),
        el('th', { scope: 'col' }, bilingual('内容', 'Message')))),
      el('tbody', {}, ...findings.map(findingRow)),
    );
  }

  function render() {
    const list = $('#files');
    list.replaceChildren();
    if (files.size === 0) $('#check-status').replaceChildren();
    for (const file of files.values()) {
      const checked = check && check.files.find((f) => f.name === file.name);
      const errors = checked ? checked.findings.filter((f) => f.severity === 'error').length : 0;
      const state = !checked ? 'pending' : errors > 0 ? 'bad' : 'good';
      const named = checked && checked.kind
        ? [...new Set([checked.table, checked.title].filter(Boolean))].join(' ')
        : '';
      const kind = checked && checked.kind
        ? `${named} (${checked.kind})`
        : checked ? '種類不明 unknown kind' : '検査中… checking…';
      const card = el(
        'article',
        { class: `file ${state}`, 'data-file': file.name },
        el('header', {},
          el('span', { class: 'mark', 'aria-hidden': 'true' }, state === 'good' ? '✓' : state === 'bad' ? '✕' : '…'),
          el('strong', { class: 'name' }, file.name),
          el('span', { class: 'kind' }, kind),
          checked ? el('span', { class: 'meta' }, `${checked.records} 件 records · ${checked.encoding || '?'} · ${Math.ceil(file.size / 1024)} KB`) : null,
          el('button', { type: 'button', class: 'remove', 'aria-label': `${file.name} を取り除く Remove`, onclick: () => { files.delete(file.name); runCheck(); } }, '取り除く ', el('small', {}, 'Remove'))),
      );
      if (checked && checked.findings.length > 0) {
        card.append(findingsTable(checked.findings, `${file.name} の指摘 Findings`));
        if (checked.suppressed > 0) card.append(el('p', { class: 'note' }, `ほか ${checked.suppressed} 件（同じルール） · ${checked.suppressed} more of the same rules`));
      }
      list.append(card);
    }
    if (check && check.set_findings.length > 0) {
      list.append(el('article', { class: 'file set' }, findingsTable(check.set_findings, 'ファイルの組み合わせの指摘 Findings about the set')));
    }
    updateSendButton();
  }

  $('#choose').addEventListener('click', () => $('#file-input').click());
  $('#file-input').addEventListener('change', (event) => {
    addFiles(event.target.files);
    event.target.value = '';
  });
  const drop = $('#drop');
  for (const type of ['dragenter', 'dragover']) {
    drop.addEventListener(type, (event) => {
      event.preventDefault();
      drop.classList.add('over');
    });
  }
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    addFiles(event.dataTransfer.files);
  });

  // ---- send: recipient ------------------------------------------------------------------------------------------

  /** The recipient office the file names carry, when they agree on one. */
  function namedRecipient() {
    const numbers = new Set();
    for (const name of files.keys()) {
      const match = NAME_PATTERN.exec(name);
      if (match) numbers.add(match[3]);
    }
    return numbers.size === 1 ? [...numbers][0] : null;
  }

  let searchTimer = null;
  async function search(query, select) {
    const body = await api(`/v1/offices?q=${encodeURIComponent(query)}`).catch(() => ({ offices: [] }));
    const options = body.offices
      // Oneself only when this number holds several services (one of them sends to another).
      .filter((office) => !me || office.number !== me.number || (me.kinds || []).length > 1)
      .map((office) => {
        officeNames.set(office.number, Promise.resolve(office.name));
        return el('option', { value: office.number }, `${office.number}  ${office.name}`);
      });
    const recipient = $('#recipient');
    const previous = recipient.value;
    recipient.replaceChildren(...options);
    recipient.value = select || previous;
    updateSendButton();
  }

  function suggestRecipient() {
    const named = namedRecipient();
    if (named && !$('#recipient').value) {
      $('#recipient-search').value = named;
      search(named, named);
    } else updateSendButton();
  }

  $('#recipient-search').addEventListener('input', (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search(event.target.value.trim()), 200);
  });
  $('#recipient').addEventListener('change', updateSendButton);

  /** Why the send button is off, or null when it may be pressed. */
  function blocker() {
    if (sending) return ['送信中です', 'sending'];
    if (files.size === 0) return ['ファイルを追加してください', 'add the files first'];
    if (!check) return ['ファイルの検査を待っています', 'waiting for the check'];
    if (check.errors > 0) return [`エラーが ${check.errors} 件あります`, `${counted(check.errors, 'error')} to fix`];
    const recipient = $('#recipient').value;
    if (!recipient) return ['送信先を選んでください', 'choose the recipient'];
    const named = namedRecipient();
    if (named && named !== recipient) {
      return [`ファイル名の送信先（${named}）と選んだ送信先が違います`, `the file names are addressed to ${named}`];
    }
    return null;
  }

  function updateSendButton() {
    const reason = blocker();
    $('#send-button').disabled = reason !== null;
    $('#send-blocked').replaceChildren(reason ? bilingual(...reason) : '');
    const recipient = $('#recipient');
    const chosen = recipient.selectedOptions[0];
    $('#recipient-note').replaceChildren(chosen ? bilingual(`送信先: ${chosen.textContent}`, 'recipient') : '');
  }

  let idempotencyKey = null;
  $('#send-button').addEventListener('click', async () => {
    if (blocker()) return;
    sending = true;
    updateSendButton();
    const form = new FormData();
    form.append('to', $('#recipient').value);
    for (const file of files.values()) form.append('file', file, file.name);
    // The same key for a retry of the same set, so a send that went through is not stored twice.
    idempotencyKey = idempotencyKey || crypto.randomUUID();
    const progress = $('#progress');
    progress.hidden = false;
    progress.value = 0;
    const result = $('#send-result');
    result.replaceChildren(bilingual('送信しています…', 'Sending…'));
    try {
      const message = await upload('/v1/messages', form, { 'Idempotency-Key': idempotencyKey },
        (fraction) => { progress.value = Math.round(fraction * 100); });
      idempotencyKey = null;
      const [ja, en] = STATUS.outbox[message.status] || [message.status, ''];
      result.replaceChildren(el('div', { class: 'result ok' },
        el('strong', {}, bilingual('送信しました', 'Sent')),
        el('dl', {},
          el('dt', {}, bilingual('メッセージID', 'Message id')), el('dd', { class: 'message-id' }, message.id),
          el('dt', {}, bilingual('状態', 'Status')), el('dd', { class: 'status' }, bilingual(ja, en)),
          el('dt', {}, bilingual('ファイル', 'Files')), el('dd', {}, `${message.files.length} 件`))));
      files.clear();
      check = null;
      render();
    } catch (error) {
      const detail = error.body && error.body.error ? ` (${error.body.error})` : '';
      result.replaceChildren(el('div', { class: 'result bad', role: 'alert' },
        el('strong', {}, bilingual('送信できませんでした', 'Not sent')), el('p', {}, error.message + detail)));
      if (error.status && error.status < 500) idempotencyKey = null;
    } finally {
      sending = false;
      progress.hidden = true;
      updateSendButton();
    }
  });

  // ---- inbox and outbox -----------------------------------------------------------------------------------------

  function statusCell(box, status) {
    const [ja, en] = STATUS[box][status] || [status, ''];
    return el('span', { class: `status ${status}` }, bilingual(ja, en));
  }

  /** A file name as a clerk reads it: its kind prefix and the unit's time (ファイル連番), e.g. `UPPLAN 2025/04/25
   * 09:05`; the whole standard name stays in the link's title and is the name a download is saved under. */
  function shortName(name) {
    const serial = NAME_PATTERN.exec(name);
    if (!serial) return name;
    const t = serial[5];
    return `${name.split('_')[0]} ${t.slice(0, 4)}/${t.slice(4, 6)}/${t.slice(6, 8)} ${t.slice(8, 10)}:${t.slice(10, 12)}`;
  }

  /** Whose unit a message carries and for which month, as the list shows it: 利用者氏名 (else 被保険者番号) over
   * 「2025年5月分」 for a ticket unit, 「計画書」 for a plan unit. */
  function subjectCell(message) {
    const subject = message.subject || {};
    const who = subject.user_name
      ? el('strong', { class: 'user-name' }, subject.user_name)
      : el('span', { class: 'insured-number' }, subject.insured_number ? `被保険者番号 ${subject.insured_number}` : '—');
    const month = /^(\d{4})(\d{2})$/.exec(subject.target_month || '');
    const what = month
      ? bilingual(`${month[1]}年${Number(month[2])}月分`, `for ${month[1]}-${month[2]}`)
      : bilingual('計画書', 'care plan');
    return el('td', { class: 'subject' }, who, el('br'), el('span', { class: 'target-month' }, what));
  }

  function fileList(message) {
    const base = `/v1/messages/${encodeURIComponent(message.id)}/files/`;
    return el('ul', { class: 'file-list' }, ...message.files.map((file) => {
      const kind = KINDS[file.kind];
      const label = kind ? kind.table : file.kind || '';
      const csv = /\.csv$/i.test(file.name);
      return el('li', { 'data-file': file.name },
        el('span', { class: 'kind-tag', title: kind ? kind.title : '' }, label),
        ' ',
        csv ? el('a', { href: `/preview/${encodeURIComponent(message.id)}/${encodeURIComponent(file.name)}`, class: 'preview-link' }, '様式で表示 ', el('small', {}, 'Preview')) : null,
        ' ',
        el('a', { href: base + encodeURIComponent(file.name), download: file.name, class: 'download-link', title: file.name },
          shortName(file.name)));
    }));
  }

  /** The inbox as a clerk works it: what is still unread first, in the order it was sent (units are imported in
   * that order: a change after the plan it changes), then everything else newest first. The outbox newest first. */
  async function mailboxPage(box) {
    if (box !== 'inbox') return api(`/v1/${box}?limit=100`);
    const [unread, all] = await Promise.all([api('/v1/inbox?status=sent&order=asc&limit=100'), api('/v1/inbox?limit=100')]);
    const first = new Set(unread.messages.map((message) => message.id));
    return { messages: unread.messages.concat(all.messages.filter((message) => !first.has(message.id))) };
  }

  async function loadMailbox(box) {
    const table = $(`#${box}-table`);
    const body = await mailboxPage(box).catch((error) => {
      table.tBodies[0].replaceChildren(el('tr', {}, el('td', { colspan: 6 }, `読み込めません: ${error.message}`)));
      return null;
    });
    if (!body) return;
    $(`#view-${box} .empty`).hidden = body.messages.length > 0;
    const rows = await Promise.all(body.messages.map(async (message) => {
      const other = box === 'inbox' ? message.from : message.to;
      const name = await officeName(other);
      const row = el('tr', { 'data-message': message.id },
        el('td', {}, dateTime(message.created_at)),
        el('td', {}, el('strong', {}, name), el('br'), el('small', {}, other)),
        subjectCell(message),
        el('td', {}, fileList(message)),
        el('td', { class: 'status-cell' }, statusCell(box, message.status)));
      if (box === 'inbox') {
        const ack = el('button', { type: 'button', class: 'ack' }, '受領確認 ', el('small', {}, 'Acknowledge'));
        ack.disabled = message.status === 'acknowledged';
        ack.addEventListener('click', async () => {
          ack.disabled = true;
          try {
            const updated = await api(`/v1/messages/${encodeURIComponent(message.id)}/ack`, { method: 'POST' });
            row.querySelector('.status-cell').replaceChildren(statusCell(box, updated.status));
            updateBadge();
          } catch (error) {
            ack.disabled = false;
            alert(`受領確認できませんでした: ${error.message}`);
          }
        });
        // A copy without personal data, for the office's vendor when a file shows a problem.
        const anonymised = el('a', {
          href: `/v1/messages/${encodeURIComponent(message.id)}/anonymised`,
          download: `${message.serial}_anonymised.zip`,
          class: 'anonymised-link',
        }, '個人情報を伏せてダウンロード ', el('small', {}, 'Download without personal data'));
        row.append(el('td', {}, ack, el('br'), anonymised));
      } else {
        row.append(el('td', {}, el('code', {}, message.id)));
      }
      return row;
    }));
    table.tBodies[0].replaceChildren(...rows);
    if (box === 'inbox') updateBadge();
  }

  async function updateBadge() {
    const open = await api('/v1/inbox?status=sent&limit=100').catch(() => ({ messages: [] }));
    const downloaded = await api('/v1/inbox?status=downloaded&limit=100').catch(() => ({ messages: [] }));
    const count = open.messages.length + downloaded.messages.length;
    $('#inbox-count').textContent = count > 0 ? String(count) : '';
  }

  // ---- exchange record -------------------------------------------------------------------------------------------

  /** The first and last day of a month `YYYY-MM`. */
  function monthDays(month) {
    const [year, number] = month.split('-').map(Number);
    const last = new Date(Date.UTC(year, number, 0)).getUTCDate();
    return [`${month}-01`, `${month}-${String(last).padStart(2, '0')}`];
  }

  function updateRecordLinks() {
    const month = $('#record-month').value;
    if (!/^\d{4}-\d{2}$/.test(month)) return;
    const [from, to] = monthDays(month);
    const query = `from=${from}&to=${to}`;
    $('#record-print').href = `/evidence?${query}`;
    const download = $('#record-download');
    download.href = `/v1/evidence?${query}&format=zip`;
    download.setAttribute('download', `送受信記録_${month}.zip`);
  }
  {
    const now = new Date();
    $('#record-month').value = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`;
    $('#record-month').addEventListener('change', updateRecordLinks);
    updateRecordLinks();
  }

  for (const button of document.querySelectorAll('[data-refresh]')) {
    button.addEventListener('click', () => loadMailbox(button.dataset.refresh));
  }

  show();
  updateBadge();
  updateSendButton();
})();
