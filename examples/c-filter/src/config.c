/*
 * c-filter's config reader: a strict JSON parser of just what the filter
 * needs. The top level must be an object whose keys are `max_tokens`,
 * `max_prompt_bytes` and `footer`; any other key, a duplicate key, a value
 * of the wrong type or malformed JSON is an error with a readable message.
 * Values of unknown keys are never looked at: the key itself is the error.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

/* A cursor over the JSON text, and the first error met. */
typedef struct {
  const char *s;
  size_t len;
  size_t pos;
  char *error; /* malloc'd message, NULL while all is well */
} reader;

/* Record the message built in `t` as the error (the first one wins) and
 * return false. */
static bool fail_with(reader *r, text *t) {
  char *message = text_finish(t);
  if (r->error == NULL) {
    r->error = message; /* NULL when it could not be allocated */
  } else {
    free(message);
  }
  return false;
}

/* A message starting "c-filter config: " and going on with `first`. */
static text message(const char *first) {
  text t = {0};
  text_str(&t, "c-filter config: ");
  text_str(&t, first);
  return t;
}

static bool fail(reader *r, const char *what) {
  text t = message(what);
  return fail_with(r, &t);
}

/* Malformed JSON: says where. */
static bool syntax(reader *r, const char *expected) {
  text t = message("not valid JSON");
  if (r->pos >= r->len) {
    text_str(&t, ": expected ");
    text_str(&t, expected);
    text_str(&t, ", found the end of the text");
  } else {
    text_str(&t, " at byte ");
    text_u64(&t, r->pos);
    text_str(&t, ": expected ");
    text_str(&t, expected);
  }
  return fail_with(r, &t);
}

static void skip_space(reader *r) {
  while (r->pos < r->len) {
    char c = r->s[r->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      return;
    }
    r->pos++;
  }
}

static bool peek_is(reader *r, char c) {
  return r->pos < r->len && r->s[r->pos] == c;
}

static bool expect(reader *r, char c, const char *what) {
  skip_space(r);
  if (!peek_is(r, c)) {
    return syntax(r, what);
  }
  r->pos++;
  return true;
}

/* A growable byte buffer for decoded strings. */
typedef struct {
  char *ptr;
  size_t len;
  size_t cap;
} buffer;

static bool push(reader *r, buffer *b, const char *bytes, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap == 0 ? 32 : b->cap;
    while (cap < b->len + n) {
      cap *= 2;
    }
    char *grown = realloc(b->ptr, cap);
    if (grown == NULL) {
      return fail(r, "out of memory");
    }
    b->ptr = grown;
    b->cap = cap;
  }
  memcpy(b->ptr + b->len, bytes, n);
  b->len += n;
  return true;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Four hex digits after `\u`. */
static bool read_hex4(reader *r, uint32_t *out) {
  if (r->len - r->pos < 4) {
    return syntax(r, "four hex digits after \\u");
  }
  uint32_t value = 0;
  for (int i = 0; i < 4; i++) {
    int d = hex_digit(r->s[r->pos + (size_t)i]);
    if (d < 0) {
      return syntax(r, "four hex digits after \\u");
    }
    value = value * 16 + (uint32_t)d;
  }
  r->pos += 4;
  *out = value;
  return true;
}

/* Append code point `cp` as UTF-8. */
static bool push_utf8(reader *r, buffer *b, uint32_t cp) {
  char out[4];
  size_t n;
  if (cp < 0x80) {
    out[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  return push(r, b, out, n);
}

/* A JSON string at the cursor. With `out` non-NULL its decoded bytes are
 * returned there (malloc'd, NUL-terminated; the caller frees), else the
 * string is only checked. */
static bool read_string(reader *r, buffer *out) {
  buffer scratch = {0};
  buffer *b = out != NULL ? out : &scratch;
  bool ok = false;
  if (!expect(r, '"', "a string")) {
    goto done;
  }
  for (;;) {
    if (r->pos >= r->len) {
      syntax(r, "the closing quote of a string");
      goto done;
    }
    unsigned char c = (unsigned char)r->s[r->pos];
    if (c == '"') {
      r->pos++;
      break;
    }
    if (c < 0x20) {
      syntax(r, "an escaped control character (\\n, \\u0001...) in a string");
      goto done;
    }
    if (c != '\\') {
      /* Copy the run of plain bytes up to the next quote or backslash. */
      size_t start = r->pos;
      while (r->pos < r->len && r->s[r->pos] != '"' && r->s[r->pos] != '\\' &&
             (unsigned char)r->s[r->pos] >= 0x20) {
        r->pos++;
      }
      if (out != NULL && !push(r, b, r->s + start, r->pos - start)) {
        goto done;
      }
      continue;
    }
    r->pos++;
    if (r->pos >= r->len) {
      syntax(r, "an escape after the backslash");
      goto done;
    }
    char e = r->s[r->pos++];
    char single = 0;
    switch (e) {
      case '"': single = '"'; break;
      case '\\': single = '\\'; break;
      case '/': single = '/'; break;
      case 'b': single = '\b'; break;
      case 'f': single = '\f'; break;
      case 'n': single = '\n'; break;
      case 'r': single = '\r'; break;
      case 't': single = '\t'; break;
      case 'u': {
        uint32_t cp;
        if (!read_hex4(r, &cp)) {
          goto done;
        }
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
          syntax(r, "a high surrogate before a low one (\\uDC00-\\uDFFF)");
          goto done;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t low;
          if (r->len - r->pos < 2 || r->s[r->pos] != '\\' ||
              r->s[r->pos + 1] != 'u') {
            syntax(r, "a low surrogate (\\uDC00-\\uDFFF) after a high one");
            goto done;
          }
          r->pos += 2;
          if (!read_hex4(r, &low)) {
            goto done;
          }
          if (low < 0xDC00 || low > 0xDFFF) {
            syntax(r, "a low surrogate (\\uDC00-\\uDFFF) after a high one");
            goto done;
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        if (out != NULL && !push_utf8(r, b, cp)) {
          goto done;
        }
        continue;
      }
      default:
        r->pos--;
        syntax(r, "a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
        goto done;
    }
    if (out != NULL && !push(r, b, &single, 1)) {
      goto done;
    }
  }
  /* NUL-terminate (not counted in len) so keys compare with strcmp. */
  if (out != NULL && (!push(r, b, "", 1))) {
    goto done;
  }
  if (out != NULL) {
    b->len--;
  }
  ok = true;
done:
  free(scratch.ptr);
  if (!ok && out != NULL) {
    free(out->ptr);
    *out = (buffer){0};
  }
  return ok;
}

/* A JSON number at the cursor (grammar checked). With `whole` non-NULL it
 * must be a non-negative integer without fraction or exponent that fits in
 * a uint64_t; *fits says whether it did. */
static bool read_number(reader *r, uint64_t *whole, bool *fits) {
  bool integer = true;
  bool overflow = false;
  uint64_t value = 0;
  if (peek_is(r, '-')) {
    integer = false;
    r->pos++;
  }
  if (peek_is(r, '0')) {
    r->pos++;
  } else if (r->pos < r->len && r->s[r->pos] >= '1' && r->s[r->pos] <= '9') {
    while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9') {
      uint64_t digit = (uint64_t)(r->s[r->pos] - '0');
      if (value > (UINT64_MAX - digit) / 10) {
        overflow = true;
      } else {
        value = value * 10 + digit;
      }
      r->pos++;
    }
  } else {
    return syntax(r, "a digit");
  }
  if (peek_is(r, '.')) {
    integer = false;
    r->pos++;
    if (!(r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9')) {
      return syntax(r, "a digit after the decimal point");
    }
    while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9') {
      r->pos++;
    }
  }
  if (peek_is(r, 'e') || peek_is(r, 'E')) {
    integer = false;
    r->pos++;
    if (peek_is(r, '+') || peek_is(r, '-')) {
      r->pos++;
    }
    if (!(r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9')) {
      return syntax(r, "a digit in the exponent");
    }
    while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9') {
      r->pos++;
    }
  }
  if (whole != NULL) {
    *fits = integer && !overflow;
    *whole = value;
  }
  return true;
}

/* What kind of JSON value starts at the cursor, for type errors. */
static const char *kind_here(reader *r) {
  skip_space(r);
  if (r->pos >= r->len) return "nothing";
  switch (r->s[r->pos]) {
    case '"': return "a string";
    case 't':
    case 'f': return "a boolean";
    case 'n': return "null";
    case '[': return "an array";
    case '{': return "an object";
    default: return "a number";
  }
}

/* "`key` must be a whole number from MIN to MAX, not " */
static text count_message(const char *key, uint64_t min, uint64_t max) {
  text t = message("`");
  text_str(&t, key);
  text_str(&t, "` must be a whole number from ");
  text_u64(&t, min);
  text_str(&t, " to ");
  text_u64(&t, max);
  text_str(&t, ", not ");
  return t;
}

/* A whole number in [min, max] for `key`. */
static bool read_count(reader *r, const char *key, uint64_t min, uint64_t max,
                       uint64_t *out) {
  skip_space(r);
  char c = r->pos < r->len ? r->s[r->pos] : 0;
  if (!(c == '-' || (c >= '0' && c <= '9'))) {
    text t = count_message(key, min, max);
    text_str(&t, kind_here(r));
    return fail_with(r, &t);
  }
  size_t start = r->pos;
  bool fits = false;
  uint64_t value = 0;
  if (!read_number(r, &value, &fits)) {
    return false;
  }
  if (!fits || value < min || value > max) {
    text t = count_message(key, min, max);
    /* The number as written (ASCII), at most 40 bytes of it. */
    text_utf8_prefix(&t, r->s + start, r->pos - start, 40);
    return fail_with(r, &t);
  }
  *out = value;
  return true;
}

/* The largest prompt budget accepted: more than any model takes. */
#define MAX_PROMPT_BYTES_LIMIT ((uint64_t)1 << 40)

bool c_filter_config_parse(const char *json, size_t len, c_filter_config *out,
                           char **error) {
  reader r = {.s = json, .len = len, .pos = 0, .error = NULL};
  *out = (c_filter_config){0};
  bool seen_max_tokens = false, seen_budget = false, seen_footer = false;

  *error = NULL;
  skip_space(&r);
  if (r.pos == r.len) {
    return true; /* empty text: `{}` */
  }
  if (!peek_is(&r, '{')) {
    text t = message("must be a JSON object, not ");
    text_str(&t, kind_here(&r));
    fail_with(&r, &t);
    goto failed;
  }
  r.pos++;
  skip_space(&r);
  if (peek_is(&r, '}')) {
    r.pos++;
  } else {
    for (;;) {
      buffer key = {0};
      if (!read_string(&r, &key)) {
        goto failed;
      }
      if (!expect(&r, ':', "`:` after a key")) {
        free(key.ptr);
        goto failed;
      }
      bool *seen = NULL;
      if (strcmp(key.ptr, "max_tokens") == 0) {
        seen = &seen_max_tokens;
      } else if (strcmp(key.ptr, "max_prompt_bytes") == 0) {
        seen = &seen_budget;
      } else if (strcmp(key.ptr, "footer") == 0) {
        seen = &seen_footer;
      } else {
        text t = message("unknown key `");
        text_utf8_prefix(&t, key.ptr, key.len, 60);
        text_str(&t, "` (known keys: max_tokens, max_prompt_bytes, footer)");
        fail_with(&r, &t);
        free(key.ptr);
        goto failed;
      }
      if (*seen) {
        text t = message("the key `");
        text_str(&t, key.ptr);
        text_str(&t, "` appears twice");
        fail_with(&r, &t);
        free(key.ptr);
        goto failed;
      }
      *seen = true;
      bool ok;
      if (seen == &seen_max_tokens) {
        uint64_t value = 0;
        ok = read_count(&r, "max_tokens", 1, UINT32_MAX, &value);
        out->has_max_tokens = ok;
        out->max_tokens = (uint32_t)value;
      } else if (seen == &seen_budget) {
        ok = read_count(&r, "max_prompt_bytes", 1, MAX_PROMPT_BYTES_LIMIT,
                        &out->max_prompt_bytes);
        out->has_max_prompt_bytes = ok;
      } else {
        skip_space(&r);
        if (!peek_is(&r, '"')) {
          text t = message("`footer` must be a string, not ");
          text_str(&t, kind_here(&r));
          ok = fail_with(&r, &t);
        } else {
          buffer footer = {0};
          ok = read_string(&r, &footer);
          if (ok && footer.len > 0) {
            out->footer = footer.ptr;
            out->footer_len = footer.len;
          } else {
            free(footer.ptr);
          }
        }
      }
      free(key.ptr);
      if (!ok) {
        goto failed;
      }
      skip_space(&r);
      if (peek_is(&r, ',')) {
        r.pos++;
        skip_space(&r);
        continue;
      }
      if (!expect(&r, '}', "`,` or `}`")) {
        goto failed;
      }
      break;
    }
  }
  skip_space(&r);
  if (r.pos != r.len) {
    syntax(&r, "the end of the text after the object");
    goto failed;
  }
  return true;

failed:
  c_filter_config_free(out);
  *error = r.error; /* NULL only when the message could not be allocated */
  return false;
}

void c_filter_config_free(c_filter_config *config) {
  free(config->footer);
  *config = (c_filter_config){0};
}
