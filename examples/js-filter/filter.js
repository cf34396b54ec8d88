// js-filter: a wasmgate filter plugin written in JavaScript.
//
// It does two things, both set in the plugin's config:
//   - `prefix` (string, optional): put a system message with this text in
//     front of every request;
//   - `strip_emoji` (bool, default true): remove emoji from the assistant's
//     answer, both from a whole response and from every streamed text delta.
//
// componentize-qjs turns this ES module plus the WIT world `filter-plugin`
// (../../wit) into a component. WIT names become camelCase in JS, variants
// are `{ tag, val }`, enums are their case names, `option<T>` is `T | null`,
// and a function returning `result<T, error>` returns `T` or throws the
// `error` record.

import log from "wasmgate:plugin/log@0.1.0";
import config from "wasmgate:plugin/config@0.1.0";

// ---------------------------------------------------------------- config

/** A typed `error` record for the host. */
function error(kind, status, message) {
  return { kind, message, status, retryable: false };
}

/** Parse and check the config JSON text; throws an `error` record. */
function parseConfig(text) {
  let json;
  try {
    json = JSON.parse(text.trim() === "" ? "{}" : text);
  } catch (e) {
    throw error("invalid-request", 400, `js-filter config is not valid JSON: ${e.message}`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw error("invalid-request", 400, "js-filter config must be a JSON object");
  }
  const stripEmoji = json.strip_emoji ?? true;
  if (typeof stripEmoji !== "boolean") {
    throw error("invalid-request", 400, "js-filter config `strip_emoji` must be true or false");
  }
  const prefix = json.prefix ?? "";
  if (typeof prefix !== "string") {
    throw error("invalid-request", 400, "js-filter config `prefix` must be a string");
  }
  return { stripEmoji, prefix };
}

// One instance serves one request, so this lives as long as the request.
let cached = null;

/** The config for a call after `init`: a failure now is the host's fault. */
function settings() {
  if (cached === null) {
    try {
      cached = parseConfig(config.get());
    } catch (e) {
      throw error("plugin", 500, e.message ?? String(e));
    }
  }
  return cached;
}

// ---------------------------------------------------------------- emoji

// Any character that may belong to an emoji: the fast path skips text
// without one.
const CANDIDATE =
  /[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}\u200D\uFE0F\u20E3\u{E0020}-\u{E007F}]/u;
const PICTOGRAPHIC = /^\p{Extended_Pictographic}$/u;
// Skin tones, flag letters, the emoji presentation selector, the keycap
// mark and the tag characters of subdivision flags: only ever part of emoji.
const EMOJI_ONLY = /^[\p{Emoji_Modifier}\p{Regional_Indicator}\uFE0F\u20E3\u{E0020}-\u{E007F}]$/u;
const ZWJ = "\u200D";
const VS16 = "\uFE0F";

/** What `stripEmoji` remembers between the pieces of one answer. */
function newState() {
  // `afterEmoji`: the last character seen was removed as emoji;
  // `last`: the last character kept ("" at the start).
  return { afterEmoji: false, last: "" };
}

/**
 * Remove emoji from `text`. `state` carries over between the deltas of one
 * stream, so a sequence split across deltas is removed whole and the result
 * is the same however the answer was split.
 *
 * Pictographs from U+2300 on (⌚, ☀, ✅, ❤, 😀, 🚀, ...) always go; the few
 * below (©, ®, ™, ‼, arrows) only when written as emoji, with U+FE0F. A
 * zero-width joiner goes only inside an emoji sequence, since Indic scripts
 * use it too. A space left doubled (or leading) by a removed emoji goes too.
 */
function stripEmoji(text, state = newState()) {
  if (!CANDIDATE.test(text) && !(state.afterEmoji && text.startsWith(" "))) {
    if (text.length > 0) {
      state.afterEmoji = false;
      state.last = text.slice(-1);
    }
    return text;
  }
  const chars = Array.from(text);
  let out = "";
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    const next = chars[i + 1];
    let drop;
    if (EMOJI_ONLY.test(ch)) {
      drop = true;
    } else if (PICTOGRAPHIC.test(ch)) {
      drop = ch.codePointAt(0) >= 0x2300 || next === VS16;
    } else if (ch === ZWJ) {
      drop = state.afterEmoji || (next !== undefined && PICTOGRAPHIC.test(next));
    } else {
      drop = false;
    }
    if (drop) {
      state.afterEmoji = true;
      continue;
    }
    // "Hi 👋 there" becomes "Hi there", not "Hi  there".
    if (ch === " " && state.afterEmoji && (state.last === "" || /\s/.test(state.last))) {
      state.afterEmoji = false;
      continue;
    }
    out += ch;
    state.afterEmoji = false;
    state.last = ch;
  }
  return out;
}

// ---------------------------------------------------------------- filter

/** A system message with `text`. */
function systemMessage(text) {
  return { role: "system", content: [{ tag: "text", val: text }], name: null, extra: null };
}

export const filter = {
  init() {
    const { stripEmoji, prefix } = parseConfig(config.get());
    log.write(
      "info",
      `js-filter ready: strip_emoji=${stripEmoji}, prefix of ${prefix.length} characters`,
    );
  },

  onRequest(_ctx, req) {
    let conf;
    try {
      conf = settings();
    } catch (e) {
      return { tag: "reject", val: e };
    }
    if (conf.prefix !== "") {
      req.messages.unshift(systemMessage(conf.prefix));
    }
    return { tag: "continue", val: req };
  },

  onResponse(_ctx, resp) {
    if (settings().stripEmoji) {
      const state = newState();
      for (const part of resp.content) {
        if (part.tag === "text") part.val = stripEmoji(part.val, state);
      }
    }
    return resp;
  },

  StreamFilter: class {
    constructor(_ctx) {
      let strip = true;
      try {
        strip = settings().stripEmoji;
      } catch {
        // `init` checked the config; keep the default if it fails now.
      }
      this.strip = strip;
      this.state = newState();
    }

    onEvents(events) {
      if (!this.strip) return events;
      const out = [];
      for (const event of events) {
        if (event.tag === "text-delta" && event.val !== "") {
          const text = stripEmoji(event.val, this.state);
          // A delta that was nothing but emoji is dropped.
          if (text !== "") out.push({ tag: "text-delta", val: text });
        } else {
          out.push(event);
        }
      }
      return out;
    }

    finish() {
      return [];
    }
  },
};
