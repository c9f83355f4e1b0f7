// The status page: renders /events (server-sent events) with textContent only, never HTML.
"use strict";

const guilds = new Map(); // key -> {data, at: performance.now() when received}
let nodes = [];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function duration(ms) {
  if (!(ms > 0)) return "0:00";
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

function position(entry) {
  const g = entry.data;
  let ms = g.position_ms;
  if (!g.paused) ms += performance.now() - entry.at;
  const length = g.track.length_ms;
  return !g.track.is_stream && length > 0 ? Math.min(ms, length) : ms;
}

function renderNodes() {
  const list = document.getElementById("nodes");
  list.replaceChildren(...nodes.map((n) => {
    const item = el("li", "node");
    const head = el("div");
    head.append(el("span", "node-name", n.label),
                el("span", n.available ? "state up" : "state down", n.available ? "up" : "down"));
    const parts = [`${n.players} player${n.players === 1 ? "" : "s"}`];
    if (n.playing_players !== null) parts.push(`${n.playing_players} playing`);
    if (n.lavalink_load !== null) parts.push(`CPU ${(n.lavalink_load * 100).toFixed(1)}%`);
    if (n.memory_used !== null) parts.push(`${Math.round(n.memory_used / 1048576)} MB`);
    item.append(head, el("div", "stats", parts.join(" · ")));
    return item;
  }));
}

function guildItem(key, entry) {
  const g = entry.data;
  const item = el("li", "guild");
  item.dataset.key = key;
  if (g.name !== null) item.append(el("div", "guild-name", g.name));
  item.append(el("div", "title", g.track.title), el("div", "author", g.track.author));
  const bar = el("div", "bar"), fill = el("div");
  bar.append(fill);
  const meta = el("div", "meta");
  const time = el("span", "time");
  meta.append(time);
  if (g.paused) meta.append(el("span", "paused", "paused"));
  meta.append(el("span", "queue", `${g.queue_length} in queue`));
  if (g.loop !== "off") meta.append(el("span", "loop", `loop ${g.loop}`));
  item.append(bar, meta);
  item.tick = () => {
    const ms = position(entry), length = g.track.length_ms;
    const live = g.track.is_stream || !(length > 0);
    time.textContent = live ? `live · ${duration(ms)}` : `${duration(ms)} / ${duration(length)}`;
    fill.style.width = live ? "100%" : `${Math.min(100, (100 * ms) / length)}%`;
  };
  item.tick();
  return item;
}

function renderGuilds() {
  const list = document.getElementById("guilds");
  const items = [...guilds.entries()]
    .sort(([a, x], [b, y]) => (x.data.name || a).localeCompare(y.data.name || b))
    .map(([key, entry]) => guildItem(key, entry));
  list.replaceChildren(...items);
  document.getElementById("nothing").hidden = items.length > 0;
  document.getElementById("guild-count").textContent = items.length ? `(${items.length})` : "";
}

function setGuild(data) {
  guilds.set(data.key, { data, at: performance.now() });
}

function connect() {
  const live = document.getElementById("live");
  const source = new EventSource("events");
  source.addEventListener("snapshot", (event) => {
    const data = JSON.parse(event.data);
    nodes = data.nodes;
    guilds.clear();
    data.guilds.forEach(setGuild);
    renderNodes();
    renderGuilds();
    live.textContent = "live";
    live.className = "live on";
  });
  source.addEventListener("guild", (event) => { setGuild(JSON.parse(event.data)); renderGuilds(); });
  source.addEventListener("gone", (event) => {
    guilds.delete(JSON.parse(event.data).key);
    renderGuilds();
  });
  source.addEventListener("nodes", (event) => { nodes = JSON.parse(event.data); renderNodes(); });
  source.onerror = () => { live.textContent = "reconnecting…"; live.className = "live"; };
}

setInterval(() => {
  for (const item of document.querySelectorAll("#guilds > li")) if (item.tick) item.tick();
}, 1000);
connect();
