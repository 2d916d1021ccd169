// Test driver: evaluates JSONLogic rules with the vendored json-logic-js plus Sunmao's custom
// operations, for the differential tests in this folder.
//
// argv[2]: JSON options {"now": ISO instant, "timeZone": ..., "holidays": {...}}.
// stdin: one JSON object per line, {"id": ..., "rule": ..., "data": ...}.
// stdout: one JSON object per line, {"id": ..., "ok": <encoded result>} or {"id": ..., "error": "..."}.
// JSON cannot carry undefined, NaN, ±Infinity or -0, nor tell an object from an encoding, so
// results are encoded: {"$": "undefined" | "NaN" | "Infinity" | "-Infinity" | "-0" | "function"}
// and objects as {"$o": {...}}.
"use strict";

const path = require("path");
const readline = require("readline");

const root = path.resolve(__dirname, "..", "..");
const jsonLogic = require(path.join(root, "widgets", "vendor", "json-logic-js", "logic.js"));
const SunmaoRules = require(path.join(root, "widgets", "rules", "sunmao-rules.js"));

const options = JSON.parse(process.argv[2] || "{}");
const fixedNow = options.now ? Date.parse(options.now) : null;
SunmaoRules.install(jsonLogic, {
  timeZone: options.timeZone || "Asia/Shanghai",
  holidays: options.holidays || {},
  clock: fixedNow === null ? Date.now : () => fixedNow,
});

console.log = function () {}; // the "log" operation must not corrupt the protocol

function encode(v) {
  if (v === undefined) return {$: "undefined"};
  if (typeof v === "number") {
    if (v !== v) return {$: "NaN"};
    if (v === Infinity) return {$: "Infinity"};
    if (v === -Infinity) return {$: "-Infinity"};
    if (v === 0 && 1 / v < 0) return {$: "-0"};
    return v;
  }
  if (typeof v === "function") return {$: "function"};
  if (Array.isArray(v)) {
    const out = [];
    for (let i = 0; i < v.length; i++) out.push(encode(v[i]));
    return out;
  }
  if (v !== null && typeof v === "object") {
    const out = {};
    for (const k of Object.keys(v)) out[k] = encode(v[k]);
    return {$o: out};
  }
  return v;
}

const rl = readline.createInterface({input: process.stdin, terminal: false});
rl.on("line", (line) => {
  if (!line.trim()) return;
  const request = JSON.parse(line);
  let reply;
  try {
    reply = {id: request.id, ok: encode(jsonLogic.apply(request.rule, request.data))};
  } catch (e) {
    reply = {id: request.id, error: String(e && e.message ? e.message : e)};
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
});
