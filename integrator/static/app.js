// Voxflow web page: streams PCM over the WebSocket and plays it through Web Audio as it arrives.
// Plain script, no build step; only APIs that Chromium and Firefox both have.
"use strict";

const $ = (id) => document.getElementById(id);
const KEY_STORAGE = "voxflow.apiKey";

// Read by the browser test: audio is really playing when contextTime advances and peak > 0.
window.voxflowStats = { contextTime: 0, samplesReceived: 0, peak: 0, state: "idle", lastError: "", downloads: 0 };
const stats = window.voxflowStats;

const player = {
  ctx: null,          // AudioContext, made on the first Play (a user gesture)
  ws: null,
  counter: 0,
  wanted: null,       // request id the page is playing; audio of any other request is dropped
  current: null,      // request id whose start came last and whose done has not (binary frames belong to it)
  sampleRate: 0,
  nextTime: 0,        // AudioContext time where the next chunk starts
  startAt: null,      // AudioContext time of the request's first sample
  leftover: null,     // an odd byte held back until its pair arrives
  progress: [],       // {offset_ms, text} of the sentences started so far
  sources: new Set(),
  done: false,
};

function apiKey() { return localStorage.getItem(KEY_STORAGE) || ""; }
function authHeaders() { const key = apiKey(); return key ? { Authorization: "Bearer " + key } : {}; }
function setStatus(text) { $("status").textContent = text; }
function showError(text) { $("error").textContent = text; stats.lastError = text; }
function clearError() { $("error").textContent = ""; }

async function errorWords(response) {
  try {
    const body = await response.json();
    return body.error.message;
  } catch (_) {
    return `The server answered ${response.status} ${response.statusText}.`;
  }
}

async function loadVoices() {
  let response;
  try {
    response = await fetch("/v1/voices", { headers: authHeaders() });
  } catch (_) {
    showError("Cannot reach the Voxflow server.");
    return;
  }
  if (!response.ok) {
    showError(response.status === 401 ? "This server needs an API key: enter it below." : await errorWords(response));
    if (response.status === 401) $("key-box").open = true;
    return;
  }
  loadStyles(authHeaders());
  const data = await response.json();
  const select = $("voice");
  const chosen = select.value;
  select.length = 1;
  for (const voice of data.voices) {
    const option = document.createElement("option");
    option.value = voice.id;
    option.textContent = `${voice.id} (${voice.languages.join(", ")})`;
    select.appendChild(option);
  }
  select.value = chosen;
}

function socketUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const key = apiKey();
  return `${scheme}//${location.host}/v1/tts/stream` + (key ? `?api_key=${encodeURIComponent(key)}` : "");
}

function connect() {
  if (player.ws && player.ws.readyState === WebSocket.OPEN) return Promise.resolve(player.ws);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(socketUrl());
    ws.binaryType = "arraybuffer";
    ws.onopen = () => { player.ws = ws; resolve(ws); };
    ws.onmessage = (event) => {
      if (typeof event.data === "string") onMessage(JSON.parse(event.data));
      else onAudio(event.data);
    };
    ws.onerror = () => reject(new Error("Cannot open the streaming connection to the server."));
    ws.onclose = (event) => {
      if (player.ws === ws) player.ws = null;
      if (player.wanted && !player.done) {
        showError(event.code === 1008 ? "The server refused the API key." : "The connection to the server closed.");
        finish("Stopped.");
      }
    };
  });
}

function onMessage(msg) {
  switch (msg.type) {
    case "start":
      player.current = msg.request_id;
      if (msg.request_id === player.wanted) {
        player.sampleRate = msg.sample_rate;
        setStatus(`Speaking with ${msg.voice}…`);
      }
      break;
    case "progress":
      if (msg.request_id === player.wanted) player.progress.push(msg);
      break;
    case "done":
      if (player.current === msg.request_id) player.current = null;
      if (msg.request_id === player.wanted) {
        player.done = true;
        if (player.sources.size === 0) finish(msg.cancelled ? "Stopped." : "Done.");
      }
      break;
    case "error":
      if (msg.code === "invalid_api_key") $("key-box").open = true;
      if (!msg.request_id || msg.request_id === player.wanted) {
        showError(msg.message);
        finish("Stopped.");
      }
      break;
    default:
      break;
  }
}

// s16le bytes to samples; an odd trailing byte waits in `state.leftover` for the next frame.
function pcm16(state, buffer) {
  let bytes = new Uint8Array(buffer);
  if (state.leftover) {
    const joined = new Uint8Array(bytes.length + 1);
    joined[0] = state.leftover[0];
    joined.set(bytes, 1);
    bytes = joined;
    state.leftover = null;
  }
  if (bytes.length % 2) {
    state.leftover = bytes.slice(bytes.length - 1);
    bytes = bytes.subarray(0, bytes.length - 1);
  }
  const count = bytes.length / 2;
  // Read through a DataView so the byte order is right on any machine.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const samples = new Float32Array(count);
  let peak = 0;
  for (let i = 0; i < count; i++) {
    const value = view.getInt16(2 * i, true) / 32768;
    samples[i] = value;
    if (Math.abs(value) > peak) peak = Math.abs(value);
  }
  return { samples, peak };
}

// Playback starts this far behind the first chunk, and again after a gap: a small playout
// buffer, so a chunk that arrives a little late (a busy server) is not heard as a gap.
const PLAYOUT_LEAD_S = 0.2;

// Queue samples right after what `state` already scheduled; after a gap (the network or the
// voice fell behind) start again a playout lead ahead of now.
function schedule(state, samples, sampleRate, onEnded) {
  const ctx = player.ctx;
  const audio = ctx.createBuffer(1, samples.length, sampleRate);
  audio.copyToChannel(samples, 0);
  const source = ctx.createBufferSource();
  source.buffer = audio;
  source.connect(ctx.destination);
  const earliest = ctx.currentTime + PLAYOUT_LEAD_S;
  if (state.nextTime < earliest) state.nextTime = earliest;
  if (state.startAt === null) state.startAt = state.nextTime;
  source.start(state.nextTime);
  state.nextTime += audio.duration;
  state.sources.add(source);
  source.onended = () => {
    state.sources.delete(source);
    if (onEnded) onEnded();
  };
}

function onAudio(buffer) {
  if (!player.current || player.current !== player.wanted) return;
  const { samples, peak } = pcm16(player, buffer);
  if (!samples.length) return;
  stats.samplesReceived += samples.length;
  stats.peak = Math.max(stats.peak, peak);
  schedule(player, samples, player.sampleRate, () => {
    if (player.done && player.sources.size === 0) finish("Done.");
  });
  stats.state = "playing";
}

function tick() {
  const ctx = player.ctx;
  if (ctx) stats.contextTime = ctx.currentTime;
  if (!ctx || player.startAt === null || !player.wanted) return;
  const playedMs = (ctx.currentTime - player.startAt) * 1000;
  let sentence = null;
  for (const entry of player.progress) if (entry.offset_ms <= playedMs) sentence = entry;
  $("sentence").textContent = sentence ? sentence.text : "";
}

function silence() {
  for (const source of player.sources) {
    try { source.stop(); } catch (_) { /* already ended */ }
  }
  player.sources.clear();
}

function finish(statusText) {
  player.wanted = null;
  player.startAt = null;
  player.leftover = null;
  $("stop").disabled = true;
  $("sentence").textContent = "";
  setStatus(statusText);
  stats.state = "idle";
}

async function play() {
  clearError();
  const text = $("text").value;
  if (!text.trim()) { showError("Type some text first."); return; }
  stop();
  if (!player.ctx) player.ctx = new AudioContext();
  await player.ctx.resume();  // browsers start contexts suspended until a user gesture
  let ws;
  try {
    ws = await connect();
  } catch (error) {
    showError(error.message);
    return;
  }
  const id = `page-${++player.counter}`;
  Object.assign(player, { wanted: id, progress: [], startAt: null, leftover: null, done: false, nextTime: 0 });
  const request = {
    type: "synthesize", request_id: id, text, format: "pcm", speed: Number($("speed").value),
    // Ask for the context's own rate so the browser does not resample (the server accepts 8–48 kHz).
    sample_rate: Math.min(48000, Math.max(8000, Math.round(player.ctx.sampleRate))),
  };
  if ($("voice").value) request.voice = $("voice").value;
  Object.assign(request, expressionFields());
  ws.send(JSON.stringify(request));
  $("stop").disabled = false;
  setStatus("Starting…");
  stats.state = "waiting";
}

function stop() {
  if (player.wanted && player.ws && player.ws.readyState === WebSocket.OPEN) {
    player.ws.send(JSON.stringify({ type: "cancel", request_id: player.wanted }));
  }
  silence();
  if (player.wanted) finish("Stopped.");
}

async function download(format) {
  clearError();
  const text = $("text").value;
  if (!text.trim()) { showError("Type some text first."); return; }
  const body = { text, format, speed: Number($("speed").value), ...expressionFields() };
  if ($("voice").value) body.voice = $("voice").value;
  setStatus(`Making ${format.toUpperCase()}…`);
  let response;
  try {
    response = await fetch("/v1/tts", {
      method: "POST", headers: { "Content-Type": "application/json", ...authHeaders() }, body: JSON.stringify(body),
    });
  } catch (_) {
    showError("Cannot reach the Voxflow server.");
    return;
  }
  if (!response.ok) { showError(await errorWords(response)); setStatus("Ready."); return; }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `voxflow.${format}`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  stats.downloads += 1;
  setStatus("Downloaded.");
}

function saveKey() {
  localStorage.setItem(KEY_STORAGE, $("api-key").value.trim());
  if (player.ws) player.ws.close();
  clearError();
  loadVoices();
}

// -- Live feeds: WS /v1/feeds/{channel}. Every listener hears the same synthesis; this page plays it
// like Play does, each job from its start message, back to back.
const feed = { ws: null, sampleRate: 0, nextTime: 0, startAt: null, progress: [], leftover: null, sources: new Set() };
stats.feed = { state: "idle", samplesReceived: 0, peak: 0, jobs: 0, lastSentence: "" };

function feedStatus(text) { $("feed-status").textContent = text; }

async function listenFeed() {
  clearError();
  const channel = $("feed-channel").value.trim();
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(channel)) { showError("A channel is 1-64 letters, digits, '_', '.' or '-'."); return; }
  stopFeed();
  if (!player.ctx) player.ctx = new AudioContext();
  await player.ctx.resume();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const key = apiKey();
  const ws = new WebSocket(`${scheme}//${location.host}/v1/feeds/${encodeURIComponent(channel)}` + (key ? `?api_key=${encodeURIComponent(key)}` : ""));
  ws.binaryType = "arraybuffer";
  feed.ws = ws;
  $("feed-listen").disabled = true;
  $("feed-stop").disabled = false;
  feedStatus(`Connecting to ${channel}…`);
  ws.onmessage = (event) => {
    if (typeof event.data !== "string") { feedAudio(event.data); return; }
    const msg = JSON.parse(event.data);
    if (msg.type === "subscribed") { feedStatus(`Listening to ${msg.channel}; waiting for a job…`); stats.feed.state = "waiting"; }
    else if (msg.type === "start") {
      Object.assign(feed, { sampleRate: msg.sample_rate, progress: [], startAt: null, leftover: null });
      stats.feed.jobs += 1;
      feedStatus(`Playing job ${msg.request_id} (${msg.voice}).`);
    } else if (msg.type === "progress") feed.progress.push(msg);
    else if (msg.type === "done") feedStatus("Job finished; waiting for the next one…");
    else if (msg.type === "error") { if (msg.request_id) feedStatus(`Job ${msg.request_id} failed: ${msg.message}`); else showError(msg.message); }
  };
  ws.onclose = (event) => {
    if (feed.ws !== ws) return;
    feed.ws = null;
    $("feed-listen").disabled = false;
    $("feed-stop").disabled = true;
    stats.feed.state = "idle";
    const why = event.code === 1013 ? "This page fell behind and was dropped; listen again." :
      event.code === 1008 ? (event.reason || "The server refused this feed.") : "Not listening.";
    feedStatus(why);
  };
}

function feedAudio(buffer) {
  if (!feed.sampleRate) return;
  const { samples, peak } = pcm16(feed, buffer);
  if (!samples.length) return;
  stats.feed.samplesReceived += samples.length;
  stats.feed.peak = Math.max(stats.feed.peak, peak);
  schedule(feed, samples, feed.sampleRate, null);
  stats.feed.state = "playing";
}

function feedTick() {
  const ctx = player.ctx;
  if (!ctx || feed.startAt === null) return;
  const playedMs = (ctx.currentTime - feed.startAt) * 1000;
  // A late joiner's first offset is past zero: count from the first sentence it heard.
  const base = feed.progress.length ? feed.progress[0].offset_ms : 0;
  let sentence = null;
  for (const entry of feed.progress) if (entry.offset_ms - base <= playedMs) sentence = entry;
  $("feed-sentence").textContent = sentence ? sentence.text : "";
  stats.feed.lastSentence = sentence ? sentence.text : stats.feed.lastSentence;
}

function stopFeed() {
  if (feed.ws) { const ws = feed.ws; feed.ws = null; ws.close(); }
  for (const source of feed.sources) { try { source.stop(); } catch (_) { /* already ended */ } }
  feed.sources.clear();
  Object.assign(feed, { sampleRate: 0, startAt: null, progress: [], leftover: null, nextTime: 0 });
  $("feed-listen").disabled = false;
  $("feed-stop").disabled = true;
  $("feed-sentence").textContent = "";
  feedStatus("Not listening.");
  stats.feed.state = "idle";
}

$("feed-listen").addEventListener("click", listenFeed);
$("feed-stop").addEventListener("click", stopFeed);
setInterval(feedTick, 100);
$("play").addEventListener("click", play);
$("stop").addEventListener("click", stop);
$("download-mp3").addEventListener("click", () => download("mp3"));
$("download-wav").addEventListener("click", () => download("wav"));
$("save-key").addEventListener("click", saveKey);
$("speed").addEventListener("input", () => { $("speed-value").textContent = `${Number($("speed").value).toFixed(1)}×`; });
$("api-key").value = apiKey();
setInterval(tick, 100);
loadVoices();
