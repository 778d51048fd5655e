/* The operator console's only script (no inline script anywhere: the Content-Security-Policy forbids it).

   - Forms marked .api-form are sent to the admin API as JSON, with the session's CSRF token; the API's
     validation messages are shown next to the fields they name, and in a summary at the top of the form.
   - The event form builds signals and intervals.
   - The Fleet page follows /api/v1/fleet/stream (server-sent events); charts use Chart.js, served by the VTN.
*/
"use strict";

const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

async function callApi(method, url, body) {
  const headers = { "X-CSRF-Token": csrfToken(), Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  let payload = null;
  const text = await response.text();
  if (text) {
    try { payload = JSON.parse(text); } catch { payload = { detail: text }; }
  }
  return { ok: response.ok, status: response.status, payload };
}

/* ---------- confirmation dialog ---------- */

function confirmAction(message) {
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return Promise.resolve(window.confirm(message));
  document.getElementById("confirm-message").textContent = message;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    document.getElementById("confirm-yes").focus();
  });
}

/* ---------- reading forms ---------- */

/* Seconds of a duration as the API writes it: ISO 8601 ("PT10M", "P1DT2H") or a number of seconds. */
function durationSeconds(value) {
  if (typeof value === "number") return value;
  const match = /^(-)?P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(String(value));
  if (!match) return Number.NaN;
  const [, minus, d, h, m, sec] = match;
  const total = (parseFloat(d || 0) * 86400) + (parseFloat(h || 0) * 3600) + (parseFloat(m || 0) * 60) + parseFloat(sec || 0);
  return minus ? -total : total;
}

const splitList = (text) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
const minutesToSeconds = (text) => Math.round(parseFloat(text) * 60);

function readField(element) {
  const type = element.dataset.type || "text";
  if (type === "bool") return element.checked;
  const value = element.value.trim();
  if (type === "list") return splitList(value);
  if (value === "") return undefined;
  if (type === "int") return Number.isNaN(Number(value)) ? value : Number(value);
  return value;
}

function readSimpleForm(form) {
  const body = {};
  for (const element of form.querySelectorAll("input[name], select[name], textarea[name]")) {
    if (element.type === "hidden" && element.name === "csrf_token") continue;
    if (element.dataset.type === "checks") {
      body[element.name] = body[element.name] || [];
      if (element.checked) body[element.name].push(element.value);
      continue;
    }
    const value = readField(element);
    if (value !== undefined) body[element.name] = value;
  }
  return body;
}

/* ---------- the event form ---------- */

function eventForm(form) {
  const signals = form.querySelector("#signals");
  const signalTemplate = document.getElementById("signal-template");
  const intervalTemplate = document.getElementById("interval-template");
  let uid = 0;
  // What the form does not edit of a signal being modified (its units, its device targets) is kept as it was.
  const kept = new WeakMap();

  function renumber() {
    signals.querySelectorAll("fieldset.signal").forEach((signal, s) => {
      signal.querySelector("[data-signal-number]").textContent = String(s + 1);
      signal.querySelectorAll("[data-loc-suffix]").forEach((el) => {
        const row = el.closest("tr");
        if (row) {
          const i = Array.from(row.parentNode.children).indexOf(row);
          el.dataset.loc = `signals.${s}.intervals.${i}.${el.dataset.locSuffix}`;
          row.querySelector("[data-interval-number]").textContent = String(i);
          el.setAttribute("aria-label", `Signal ${s + 1}, interval ${i}, ${el.dataset.name === "duration" ? "duration in minutes" : "payload"}`);
        } else {
          el.dataset.loc = `signals.${s}.${el.dataset.locSuffix}`;
        }
      });
    });
  }

  function addInterval(signal, interval) {
    const row = intervalTemplate.content.firstElementChild.cloneNode(true);
    if (interval) {
      row.querySelector('[data-name="duration"]').value = String(durationSeconds(interval.duration) / 60);
      row.querySelector('[data-name="payload"]').value = String(interval.payload);
    }
    row.querySelector("[data-remove-interval]").addEventListener("click", () => {
      const body = row.parentNode;
      if (body.children.length > 1) { row.remove(); renumber(); }
    });
    signal.querySelector("tbody").appendChild(row);
    renumber();
    return row;
  }

  function addSignal(data) {
    const signal = signalTemplate.content.firstElementChild.cloneNode(true);
    uid += 1;
    signal.querySelectorAll("[data-for]").forEach((label) => {
      const field = signal.querySelector(`[data-name="${label.dataset.for}"]`);
      field.id = `signal-${uid}-${label.dataset.for}`;
      label.htmlFor = field.id;
    });
    const names = signal.querySelector('[data-name="signal_name"]');
    if (data && !Array.from(names.options).some((o) => o.value === data.signal_name)) {
      names.add(new Option(data.signal_name, data.signal_name));  // an extension name ("x-...") set by the API
    }
    names.value = data?.signal_name ?? "SIMPLE";
    signal.querySelector('[data-name="signal_type"]').value = data?.signal_type ?? "level";
    signal.querySelector('[data-name="signal_id"]').value = data?.signal_id ?? `signal-${uid}`;
    signal.querySelector("[data-add-interval]").addEventListener("click", () => {
      addInterval(signal).querySelector("input").focus();
    });
    signal.querySelector("[data-remove-signal]").addEventListener("click", () => {
      if (signals.children.length > 1) { signal.remove(); renumber(); }
    });
    if (data) kept.set(signal, { item_base: data.item_base ?? null, targets: data.targets ?? null });
    signals.appendChild(signal);
    const intervals = data?.intervals ?? [{ duration: 600, payload: 1 }];
    intervals.forEach((interval) => addInterval(signal, interval));
    return signal;
  }

  const existing = JSON.parse(document.getElementById("event-data").textContent);
  const start = existing ? new Date(existing.active_period.dtstart) : new Date(form.querySelector("#dtstart").dataset.start);
  const local = new Date(start.getTime() - start.getTimezoneOffset() * 60000);
  form.querySelector("#dtstart").value = local.toISOString().slice(0, 19);
  (existing ? existing.signals : [null]).forEach((s) => addSignal(s));
  form.querySelector("[data-add-signal]").addEventListener("click", () => {
    addSignal().querySelector("select").focus();
  });

  return function build() {
    const value = (id) => form.querySelector(`#${id}`)?.value.trim() ?? "";
    const signalList = Array.from(signals.querySelectorAll("fieldset.signal")).map((signal) => ({
      ...(kept.get(signal) ?? {}),
      signal_name: signal.querySelector('[data-name="signal_name"]').value,
      signal_type: signal.querySelector('[data-name="signal_type"]').value,
      signal_id: signal.querySelector('[data-name="signal_id"]').value.trim(),
      intervals: Array.from(signal.querySelectorAll("tbody tr")).map((row) => ({
        duration: minutesToSeconds(row.querySelector('[data-name="duration"]').value),
        payload: parseFloat(row.querySelector('[data-name="payload"]').value),
      })),
    }));
    const first = signalList[0]?.intervals ?? [];
    const duration = value("duration") === "" ? first.reduce((sum, i) => sum + (i.duration || 0), 0) : minutesToSeconds(value("duration"));
    const started = value("dtstart") ? new Date(value("dtstart")) : null;
    const activePeriod = { dtstart: started && !Number.isNaN(started.getTime()) ? started.toISOString() : value("dtstart"), duration };
    if (value("ramp_up") !== "") activePeriod.x_ei_ramp_up = minutesToSeconds(value("ramp_up"));
    if (value("start_after") !== "") activePeriod.start_after = minutesToSeconds(value("start_after"));
    const body = {
      active_period: activePeriod,
      signals: signalList,
      targets: {
        ven_ids: splitList(value("target_ven_ids")),
        group_ids: splitList(value("target_group_ids")),
        resource_ids: splitList(value("target_resource_ids")),
        party_ids: splitList(value("target_party_ids")),
      },
      response_required: value("response_required"),
      test_event: form.querySelector("#test_event").checked,
    };
    if (value("priority") !== "") body.priority = Number(value("priority"));
    if (value("vtn_comment") !== "") body.vtn_comment = value("vtn_comment");
    if (value("event_id") !== "") body.event_id = value("event_id");
    if (form.querySelector("#market_context")) body.market_context = value("market_context");
    if (value("modification_reason") !== "") body.modification_reason = value("modification_reason");
    return body;
  };
}

/* ---------- showing the API's answer ---------- */

function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((el) => el.remove());
  form.querySelectorAll("[aria-invalid]").forEach((el) => {
    el.removeAttribute("aria-invalid");
    el.setAttribute("aria-describedby", (el.getAttribute("aria-describedby") || "").split(" ").filter((id) => !id.startsWith("err-")).join(" "));
  });
  const summary = form.querySelector(".form-errors");
  if (summary) { summary.hidden = true; summary.replaceChildren(); }
}

let errorCount = 0;

function showErrors(form, status, payload) {
  const summary = form.querySelector(".form-errors");
  const detail = payload?.detail;
  const items = [];
  if (Array.isArray(detail)) {
    for (const problem of detail) {
      const loc = (problem.loc || []).filter((part, i) => !(i === 0 && (part === "body" || part === "query" || part === "path")));
      const text = `${loc.join(".") || "request"}: ${problem.msg}`;
      items.push(text);
      let path = loc.map(String);
      let field = null;
      while (path.length && !field) {
        field = form.querySelector(`[data-loc="${CSS.escape(path.join("."))}"]`);
        path = path.slice(0, -1);
      }
      if (field) {
        errorCount += 1;
        const message = document.createElement("span");
        message.className = "field-error";
        message.id = `err-${errorCount}`;
        message.textContent = problem.msg;
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby", `${field.getAttribute("aria-describedby") || ""} ${message.id}`.trim());
        field.insertAdjacentElement("afterend", message);
      }
    }
  } else {
    items.push(typeof detail === "string" ? detail : `The VTN answered ${status}.`);
  }
  if (summary) {
    const heading = document.createElement("p");
    heading.textContent = status === 422 ? "The VTN refused this: " : `Not done (${status}): `;
    const list = document.createElement("ul");
    for (const text of items) {
      const li = document.createElement("li");
      li.textContent = text;
      list.appendChild(li);
    }
    summary.replaceChildren(heading, list);
    summary.hidden = false;
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
}

function showToken(form, payload) {
  const output = form.querySelector("[data-token-output]");
  if (!output) return;
  output.querySelector("[data-token-name]").textContent = payload.name;
  output.querySelector("[data-token-value]").textContent = payload.token;
  output.hidden = false;
}

function afterSuccess(form, payload) {
  const then = form.dataset.then || "reload";
  if (then === "token") { showToken(form, payload); return; }
  if (then === "event" && payload?.event?.descriptor?.event_id) {
    window.location.assign(`/console/events/${encodeURIComponent(payload.event.descriptor.event_id)}`);
    return;
  }
  window.location.reload();
}

function wireApiForm(form) {
  const build = form.dataset.kind === "event" ? eventForm(form) : () => readSimpleForm(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (form.dataset.confirm && !(await confirmAction(form.dataset.confirm))) return;
    const method = form.dataset.method || "POST";
    const body = method === "DELETE" || form.querySelectorAll("[name]").length === 0 ? undefined : build();
    const button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    try {
      const answer = await callApi(method, form.dataset.url, body);
      if (answer.ok) afterSuccess(form, answer.payload);
      else showErrors(form, answer.status, answer.payload);
    } catch (error) {
      showErrors(form, 0, { detail: `The VTN could not be reached: ${error}` });
    } finally {
      if (button) button.disabled = false;
    }
  });
}

/* ---------- charts ---------- */

const palette = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#0a7480"];
const hasCharts = () => typeof window.Chart === "function";
const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

function barChart(canvas, labels, datasets) {
  return new window.Chart(canvas, {
    type: "bar",
    data: { labels, datasets },
    options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

function fleetPage(status) {
  const data = JSON.parse(document.getElementById("fleet-data").textContent);
  const charts = {};
  function draw(summary) {
    if (!hasCharts()) return;
    const minutes = summary.report_intervals_per_minute.map((m) => clock(m.minute));
    const reports = summary.report_intervals_per_minute.map((m) => m.count);
    const optIn = summary.answers_per_minute.map((m) => m.opt_in);
    const optOut = summary.answers_per_minute.map((m) => m.opt_out);
    if (!charts.reports) {
      charts.reports = barChart(document.getElementById("report-rate-chart"), minutes, [{ label: "Report intervals", data: reports, backgroundColor: palette[0] }]);
      charts.answers = barChart(document.getElementById("answers-rate-chart"), minutes, [
        { label: "Opted in", data: optIn, backgroundColor: palette[2] },
        { label: "Opted out", data: optOut, backgroundColor: palette[1] },
      ]);
      return;
    }
    charts.reports.data.labels = minutes;
    charts.reports.data.datasets[0].data = reports;
    charts.answers.data.labels = minutes;
    charts.answers.data.datasets[0].data = optIn;
    charts.answers.data.datasets[1].data = optOut;
    charts.reports.update();
    charts.answers.update();
  }
  function show(summary) {
    for (const field of ["registered", "online", "offline", "known"]) {
      document.querySelector(`[data-fleet-field="${field}"]`).textContent = String(summary[field]);
    }
    const intervals = summary.report_intervals_per_minute;
    document.querySelector('[data-fleet-field="intervals_this_minute"]').textContent = String(intervals[intervals.length - 1]?.count ?? 0);
    for (const [name, count] of Object.entries(summary.events)) {
      const cell = document.querySelector(`[data-fleet-event="${name}"]`);
      if (cell) cell.textContent = String(count);
    }
    const body = document.querySelector("#fleet-breakdown tbody");
    const rows = summary.by_profile_transport.map((row) => {
      const tr = document.createElement("tr");
      for (const [value, numeric] of [[row.profile_name ?? "—"], [row.transport_name ?? "—"], [row.registered, 1], [row.online, 1], [row.offline, 1]]) {
        const td = document.createElement("td");
        td.textContent = String(value);
        if (numeric) td.className = "num";
        tr.appendChild(td);
      }
      return tr;
    });
    if (rows.length) body.replaceChildren(...rows);
    draw(summary);
  }
  draw(data);
  const source = new EventSource(status.dataset.fleetStream);
  source.addEventListener("fleet", (message) => {
    const summary = JSON.parse(message.data);
    show(summary);
    status.textContent = `Live. Last update ${new Date(summary.as_of).toLocaleTimeString()}.`;
    status.dataset.live = "true";
  });
  source.addEventListener("error", () => { status.textContent = "Live updates interrupted; reconnecting…"; });
}

function formatUnits(units) {
  if (!units) return "";
  const scale = units.si_scale_code && units.si_scale_code !== "none" ? units.si_scale_code : "";
  return `${scale}${units.units}`;
}

async function venCharts(container) {
  const status = document.getElementById("chart-status");
  const venId = container.dataset.venId;
  const charts = new Map();
  async function refresh() {
    const since = new Date(Date.now() - 3600 * 1000).toISOString();
    const answer = await callApi("GET", `/api/v1/reports/${encodeURIComponent(venId)}/data?start=${encodeURIComponent(since)}&limit=10000`);
    if (!answer.ok) {
      status.textContent = `Report data could not be read (${answer.status}).`;
      return;
    }
    const byRid = new Map();
    for (const record of answer.payload) {
      if (typeof record.value !== "number") continue;
      if (!byRid.has(record.r_id)) byRid.set(record.r_id, { units: record.units, points: [] });
      byRid.get(record.r_id).points.push({ x: record.dtstart, y: record.value });
    }
    status.textContent = byRid.size
      ? `${answer.payload.length} intervals in the last hour, by rID. Updated ${new Date().toLocaleTimeString()}.`
      : "No numeric report data in the last hour.";
    status.dataset.points = String(answer.payload.length);
    let index = 0;
    for (const [rid, series] of byRid) {
      const units = formatUnits(series.units);
      const labels = series.points.map((p) => new Date(p.x).toLocaleTimeString());
      const values = series.points.map((p) => p.y);
      if (charts.has(rid)) {
        const chart = charts.get(rid);
        chart.data.labels = labels;
        chart.data.datasets[0].data = values;
        chart.update();
      } else if (hasCharts()) {
        const figure = document.createElement("figure");
        const canvas = document.createElement("canvas");
        canvas.setAttribute("role", "img");
        canvas.dataset.rid = rid;
        canvas.setAttribute("aria-label", `rID ${rid}${units ? ` in ${units}` : ""}: ${values.length} values, latest ${values[values.length - 1]}`);
        const caption = document.createElement("figcaption");
        caption.textContent = `rID ${rid}${units ? ` (${units})` : ""}`;
        figure.append(canvas, caption);
        container.appendChild(figure);
        charts.set(rid, new window.Chart(canvas, {
          type: "line",
          data: { labels, datasets: [{ label: `${rid}${units ? ` (${units})` : ""}`, data: values, borderColor: palette[index % palette.length], pointRadius: 0, tension: 0.2 }] },
          options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { title: { display: Boolean(units), text: units } } } },
        }));
      }
      index += 1;
    }
  }
  await refresh();
  window.setInterval(() => { if (document.visibilityState === "visible") refresh(); }, 5000);
}

function countAnswers(answers) {
  const counts = { optIn: 0, optOut: 0, none: 0 };
  for (const answer of answers) counts[answer.opt_type ?? "none"] += 1;
  return counts;
}

function answerRow(answer) {
  const row = document.createElement("tr");
  const venCell = document.createElement("td");
  const link = document.createElement("a");
  link.href = `/console/vens/${encodeURIComponent(answer.ven_id)}`;
  link.textContent = answer.ven_id;
  venCell.appendChild(link);
  const answerCell = document.createElement("td");
  if (answer.opt_type) {
    const badge = document.createElement("span");
    badge.className = `badge ${answer.opt_type === "optIn" ? "good" : "warn"}`;
    badge.textContent = answer.opt_type;
    answerCell.appendChild(badge);
  } else {
    answerCell.textContent = "no answer";
  }
  const cells = [answer.modification_number ?? "—", answer.source ?? "—", answer.answered_at ? new Date(answer.answered_at).toISOString().slice(0, 19).replace("T", " ") + " UTC" : "—"];
  row.append(venCell, answerCell, ...cells.map((text) => { const td = document.createElement("td"); td.textContent = String(text); return td; }));
  return row;
}

function followAnswers(section, chart) {
  const status = document.getElementById("answers-status");
  async function refresh() {
    const answer = await callApi("GET", `/api/v1/events/${encodeURIComponent(section.dataset.eventId)}`);
    if (!answer.ok) { status.textContent = `Answers could not be read (${answer.status}).`; return; }
    const answers = answer.payload.answers;
    const counts = countAnswers(answers);
    for (const [name, count] of Object.entries(counts)) {
      section.querySelector(`[data-count="${name}"]`).textContent = String(count);
    }
    if (chart) {
      chart.data.datasets[0].data = [counts.optIn, counts.optOut, counts.none];
      chart.update();
      chart.canvas.setAttribute("aria-label", `Opted in: ${counts.optIn}, opted out: ${counts.optOut}, no answer: ${counts.none}`);
    }
    if (answers.length) section.querySelector("#event-answers tbody").replaceChildren(...answers.map(answerRow));
    status.textContent = `Live. As of ${new Date(answer.payload.as_of).toLocaleTimeString()}.`;
  }
  window.setInterval(() => { if (document.visibilityState === "visible") refresh(); }, 4000);
}

function answersChart(canvas) {
  if (!hasCharts()) return null;
  const counts = JSON.parse(canvas.dataset.counts);
  return new window.Chart(canvas, {
    type: "doughnut",
    data: {
      labels: ["Opted in", "Opted out", "No answer"],
      datasets: [{ data: [counts.optIn, counts.optOut, counts.none], backgroundColor: [palette[2], palette[1], "#8c959f"] }],
    },
    options: { animation: false, responsive: true, maintainAspectRatio: false },
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form.api-form").forEach(wireApiForm);
  const fleet = document.querySelector("[data-fleet-stream]");
  if (fleet) fleetPage(fleet);
  const reportCharts = document.getElementById("report-charts");
  if (reportCharts) venCharts(reportCharts);
  const answers = document.getElementById("answers");
  if (answers) followAnswers(answers, answersChart(document.getElementById("answers-chart")));
});
