// ficaudio studio: the page. Plain JavaScript, no libraries: everything ships in the package.
"use strict";

const TOKEN = document.querySelector('meta[name="studio-token"]').content;
const BLOCK = 40; // lines per lazily drawn block
const ROW_GUESS = 27; // px a line takes before it is drawn
let S = null; // the state from /api/state
let order = []; // segment indices in the order shown
let selected = new Set();
let lastClicked = null;
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function say(text, ok) {
  const m = $("message");
  m.textContent = text;
  m.className = ok ? "ok" : "";
  m.hidden = !text;
  if (ok) setTimeout(() => { if (m.textContent === text) m.hidden = true; }, 4000);
}

async function post(path, body) {
  const r = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Studio-Token": TOKEN },
    body: JSON.stringify(body || {}),
  });
  const data = await r.json().catch(() => ({ error: r.statusText }));
  if (!r.ok) throw new Error(data.error || r.statusText);
  return data;
}

async function refresh(force) {
  const since = force || !S ? "" : S.version;
  const r = await fetch("/api/state?since=" + since);
  const data = await r.json();
  if (data.segments) {
    S = data;
    draw();
  } else if (S) {
    S.render = data.render;
  }
  drawRender();
}

function colourOf(speaker) {
  const c = S.characters.find((p) => p.name === speaker);
  return c ? c.colour : "#6b6b70";
}

// --- the script ---------------------------------------------------------------------

function draw() {
  $("title").textContent = S.title;
  $("byline").textContent = S.author ? "by " + S.author : "";
  $("files").textContent = `${S.story} · casting: ${S.voices}${S.voices_exists ? "" : " (written on the first change)"} · output: ${S.out}`;
  $("narrator").textContent = "Narrator: " + S.narrator;
  const lost = $("lost");
  lost.hidden = !S.lost.length;
  lost.textContent = S.lost.length
    ? `${S.lost.length} speaker fix(es) could not be carried over to the story as it is now: ` +
      S.lost.slice(0, 5).map((f) => `${f.speaker} for “${f.text.slice(0, 50)}”`).join("; ")
    : "";
  drawFilter();
  drawLines();
  drawCast();
  const bulk = $("bulk-speaker");
  bulk.replaceChildren(...S.speakers.map((n) => el("option", { value: n }, n)));
}

function drawFilter() {
  const f = $("filter");
  const keep = f.value || "all";
  const options = [el("option", { value: "all" }, "every line, in story order"),
    el("option", { value: "uncertain" }, "dialogue, least certain first")];
  for (const c of S.characters) options.push(el("option", { value: "who:" + c.name }, `${c.name}'s lines (${c.lines})`));
  options.push(el("option", { value: "who:Unknown" }, "Unknown's lines"));
  f.replaceChildren(...options);
  f.value = [...f.options].some((o) => o.value === keep) ? keep : "all";
}

function computeOrder() {
  const v = $("filter").value;
  const segs = S.segments;
  const idx = [...segs.keys()];
  if (v === "uncertain") return idx.filter((i) => segs[i][0] === 1).sort((a, b) => segs[a][2] - segs[b][2] || a - b);
  if (v.startsWith("who:")) {
    const who = S.speakers.indexOf(v.slice(4));
    return idx.filter((i) => segs[i][0] === 1 && segs[i][1] === who);
  }
  return idx;
}

let observer = null;
function drawLines() {
  const box = $("lines");
  const scroll = $("script-pane").scrollTop;
  order = computeOrder();
  $("count").textContent = `${order.length} lines`;
  if (observer) observer.disconnect();
  observer = new IntersectionObserver((entries) => {
    for (const e of entries) if (e.isIntersecting) fillBlock(e.target);
  }, { root: $("script-pane"), rootMargin: "800px 0px" });
  const blocks = [];
  for (let b = 0; b * BLOCK < order.length; b++) {
    const block = el("div", { class: "block", "data-block": b });
    block.style.minHeight = Math.min(BLOCK, order.length - b * BLOCK) * ROW_GUESS + "px";
    observer.observe(block);
    blocks.push(block);
  }
  box.replaceChildren(...blocks);
  $("script-pane").scrollTop = scroll;
}

function chapterAt(i) {
  return S.chapters.find((c) => c.first === i);
}

function fillBlock(block) {
  if (block.dataset.filled) return;
  block.dataset.filled = "1";
  const b = +block.dataset.block;
  const rows = [];
  const inOrder = $("filter").value === "all";
  for (const i of order.slice(b * BLOCK, (b + 1) * BLOCK)) {
    const ch = inOrder ? chapterAt(i) : null;
    if (ch && S.chapters.length > 1) rows.push(el("div", { class: "chapter" }, ch.title));
    rows.push(row(i));
  }
  block.replaceChildren(...rows);
  block.style.minHeight = "";
}

function row(i) {
  const [dialogue, who, conf, text] = S.segments[i];
  const speaker = S.speakers[who];
  const chip = el("button", { class: "speaker", type: "button", title: "change the speaker", onclick: () => editSpeaker(i, r) },
    speaker);
  chip.style.color = colourOf(speaker);
  if (dialogue) chip.append(el("span", { class: "conf" + (conf < 0.5 ? " low" : "") }, `${Math.round(conf * 100)}%`));
  const box = el("input", { type: "checkbox", "aria-label": "select line", onclick: (ev) => select(i, ev) });
  box.checked = selected.has(i);
  const r = el("div", { class: "row " + (dialogue ? "dialogue" : "narration") + (selected.has(i) ? " selected" : ""), "data-i": i },
    box,
    el("button", { class: "play", type: "button", title: "hear this line", onclick: (ev) => play(i, ev.currentTarget) }, "▶"),
    el("div", {}, chip),
    el("div", { class: "text" }, text));
  return r;
}

function editSpeaker(i, r) {
  const current = S.speakers[S.segments[i][1]];
  const pick = el("select", { class: "speaker", "aria-label": "speaker" },
    ...S.speakers.map((n) => el("option", { value: n, selected: n === current }, n)));
  const cell = r.children[2];
  cell.replaceChildren(pick);
  pick.focus();
  pick.addEventListener("change", () => setSpeaker([i], pick.value));
  pick.addEventListener("blur", () => setTimeout(() => { if (cell.contains(pick)) cell.replaceChildren(row(i).children[2].firstChild); }, 200));
}

async function setSpeaker(lines, speaker) {
  try {
    await post("/api/speaker", { lines, speaker });
    selected.clear();
    drawSelection();
    await refresh(true);
    say(`${lines.length === 1 ? "line" : lines.length + " lines"} given to ${speaker}; saved for render`, true);
  } catch (e) {
    say(e.message);
  }
}

function select(i, ev) {
  const pos = order.indexOf(i);
  if (ev.shiftKey && lastClicked !== null) {
    const a = order.indexOf(lastClicked);
    const [lo, hi] = a < pos ? [a, pos] : [pos, a];
    for (const k of order.slice(lo, hi + 1)) selected.add(k);
  } else if (ev.target.checked) selected.add(i);
  else selected.delete(i);
  lastClicked = i;
  for (const r of document.querySelectorAll(".row")) {
    const k = +r.dataset.i;
    r.classList.toggle("selected", selected.has(k));
    r.firstChild.checked = selected.has(k);
  }
  drawSelection();
}

function drawSelection() {
  $("selection").hidden = selected.size === 0;
  $("selected-count").textContent = `${selected.size} selected`;
}

// --- hearing ------------------------------------------------------------------------

let playingButton = null;
async function play(i, button) {
  const audio = $("line-audio");
  if (playingButton) playingButton.classList.remove("playing");
  playingButton = button;
  button.classList.add("playing");
  button.textContent = "…";
  audio.src = `/api/line/${i}.wav?v=${S.version}`;
  try {
    await audio.play();
    button.textContent = "▶";
  } catch (e) {
    button.textContent = "▶";
    button.classList.remove("playing");
    const r = await fetch(audio.src);
    say(r.ok ? "the browser could not play the line: " + e.message : (await r.json()).error);
  }
}
$("line-audio").addEventListener("ended", () => { if (playingButton) playingButton.classList.remove("playing"); });

// --- the cast -----------------------------------------------------------------------

function drawCast() {
  const open = new Set([...document.querySelectorAll(".person details[open]")].map((d) => d.dataset.name));
  $("cast").replaceChildren(...S.characters.map((c) => person(c, open.has(c.name))));
}

function person(c, isOpen) {
  const fields = el("div", { class: "fields" });
  const engine = el("select", { "aria-label": "engine", name: "engine" },
    ...Object.keys(S.engines).map((e) => el("option", { value: e, selected: e === c.voice.engine }, e)));
  const gender = el("select", { "aria-label": "gender", name: "gender" },
    ...["female", "male", "unknown"].map((g) => el("option", { value: g, selected: g === c.gender }, g)));
  const values = { ...c.voice };
  function drawFields() {
    const keys = S.engines[engine.value] || ["voice", "volume"];
    fields.replaceChildren(el("label", {}, "gender"), gender, el("label", {}, "engine"), engine);
    for (const k of keys) {
      const v = engine.value === c.voice.engine ? values[k] : "";
      fields.append(el("label", { for: `f-${c.name}-${k}` }, k),
        el("input", { id: `f-${c.name}-${k}`, name: k, value: v === undefined ? "" : v }));
    }
  }
  engine.addEventListener("change", drawFields);
  drawFields();
  const voice = () => {
    const v = { engine: engine.value };
    for (const input of fields.querySelectorAll("input")) if (input.value.trim()) v[input.name] = input.value.trim();
    return v;
  };
  const others = S.characters.filter((o) => o.name !== c.name);
  const mergeInto = el("select", { "aria-label": "merge into" },
    el("option", { value: "" }, "merge into…"), ...others.map((o) => el("option", { value: o.name }, o.name)));
  const alias = el("input", { placeholder: "new alias", "aria-label": "new alias", size: 10 });
  const title = el("span", { class: "name" }, c.name);
  title.style.color = c.colour;
  const details = el("details", { "data-name": c.name, open: isOpen },
    el("summary", {}, c.describe),
    fields,
    el("div", { class: "actions" },
      el("button", { type: "button", class: "primary", onclick: () => act("/api/voice", { name: c.name, voice: voice(), gender: gender.value }, `${c.name}'s voice saved to ${S.voices}`) }, "Save"),
      el("button", { type: "button", title: "hear these settings, saved or not", onclick: (ev) => audition(c.name, voice(), ev.currentTarget) }, "Audition")),
    el("div", { class: "actions" },
      alias, el("button", { type: "button", onclick: () => act("/api/alias", { name: c.name, alias: alias.value }, `alias added to ${c.name}`) }, "Add alias")),
    el("div", { class: "actions" },
      mergeInto, el("button", { type: "button", onclick: () => mergeInto.value && act("/api/merge", { merged: c.name, into: mergeInto.value }, `${c.name} merged into ${mergeInto.value}`) }, "Merge"),
      el("button", { type: "button", onclick: () => act("/api/ignore", { name: c.name }, `${c.name} is no longer a character`) }, "Not a character")));
  return el("div", { class: "person", "data-name": c.name },
    title, " ", el("span", { class: "meta" }, `${c.gender} · ${c.lines} line${c.lines === 1 ? "" : "s"}${c.aliases.length ? " · " + c.aliases.join(", ") : ""}`),
    details);
}

async function act(path, body, done) {
  try {
    await post(path, body);
    await refresh(true);
    say(done, true);
  } catch (e) {
    say(e.message);
  }
}

async function audition(name, voice, button) {
  const audio = $("line-audio");
  button.textContent = "…";
  audio.src = `/api/audition.wav?name=${encodeURIComponent(name)}&voice=${encodeURIComponent(JSON.stringify(voice))}`;
  try {
    await audio.play();
  } catch (e) {
    const r = await fetch(audio.src);
    say(r.ok ? "the browser could not play the sample: " + e.message : (await r.json()).error);
  }
  button.textContent = "Audition";
}

// --- rendering ----------------------------------------------------------------------

let renderTimer = null;
function drawRender() {
  const r = S && S.render;
  if (!r) return;
  const bar = $("progress");
  const status = $("render-status");
  $("render").disabled = r.state === "running";
  bar.hidden = r.state !== "running";
  if (r.state === "running") {
    bar.max = r.total || 1;
    bar.value = r.done;
    status.textContent = r.total ? `${r.done} / ${r.total} lines` : "starting…";
    if (!renderTimer) renderTimer = setInterval(async () => {
      const data = await (await fetch("/api/render")).json();
      S.render = data;
      drawRender();
    }, 500);
    return;
  }
  if (renderTimer) { clearInterval(renderTimer); renderTimer = null; }
  status.textContent = r.state === "failed" ? r.error : r.state === "done" ? "rendered" : "";
  if (r.state === "done") drawPlayers(r.outputs);
}

let shownOutputs = "";
function drawPlayers(outputs) {
  const key = JSON.stringify(outputs);
  if (key === shownOutputs) return;
  shownOutputs = key;
  $("player-pane").hidden = false;
  $("players").replaceChildren(...outputs.map((o) => {
    const audio = el("audio", { controls: true, preload: "metadata", src: "/out/" + encodeURIComponent(o.audio) + "?t=" + Date.now() });
    const list = el("ol", {}, ...o.chapters.map((c) => el("li", {},
      el("button", { type: "button", onclick: () => { audio.currentTime = c.start; audio.play(); } }, c.title))));
    return el("div", { class: "player" }, el("div", {}, o.audio), audio, list);
  }));
}

$("render").addEventListener("click", async () => {
  try {
    await post("/api/render");
    S.render = { state: "running", done: 0, total: 0 };
    drawRender();
  } catch (e) {
    say(e.message);
  }
});
$("filter").addEventListener("change", drawLines);
$("bulk-apply").addEventListener("click", () => setSpeaker([...selected].sort((a, b) => a - b), $("bulk-speaker").value));
$("bulk-clear").addEventListener("click", () => { selected.clear(); drawLines(); drawSelection(); });

refresh(true);
// Another tab may change the story's fixes or cast: pick those up.
setInterval(() => refresh(false).catch(() => {}), 2000);
