/*
 * A tiny growable text buffer, so the filter formats its messages without
 * libc's stdio: `snprintf` drags in the FILE machinery, whose
 * `fd_write`/`fd_seek`/`fd_close` imports would make the component import
 * WASI streams and files. Without them it imports only the wasmgate
 * contract.
 */
#ifndef C_FILTER_TEXT_H
#define C_FILTER_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *ptr;
  size_t len;
  size_t cap;
  /* An allocation failed: the text is incomplete and `text_finish` gives NULL. */
  bool oom;
} text;

/* Append `n` bytes. */
static inline void text_bytes(text *t, const char *bytes, size_t n) {
  if (t->oom || n == 0) {
    return;
  }
  if (t->len + n + 1 > t->cap) {
    size_t cap = t->cap == 0 ? 64 : t->cap;
    while (cap < t->len + n + 1) {
      cap *= 2;
    }
    char *grown = realloc(t->ptr, cap);
    if (grown == NULL) {
      t->oom = true;
      return;
    }
    t->ptr = grown;
    t->cap = cap;
  }
  memcpy(t->ptr + t->len, bytes, n);
  t->len += n;
}

/* Append a NUL-terminated string. */
static inline void text_str(text *t, const char *s) { text_bytes(t, s, strlen(s)); }

/* Append at most `max` bytes of UTF-8 text, cut only at a character
 * boundary (a WIT string must stay valid UTF-8). */
static inline void text_utf8_prefix(text *t, const char *s, size_t len, size_t max) {
  if (len > max) {
    len = max;
    /* Step back over continuation bytes (10xxxxxx) to a character start. */
    while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80) {
      len--;
    }
  }
  text_bytes(t, s, len);
}

/* Append `value` in decimal. */
static inline void text_u64(text *t, uint64_t value) {
  char digits[20];
  size_t n = 0;
  do {
    digits[sizeof digits - 1 - n] = (char)('0' + value % 10);
    value /= 10;
    n++;
  } while (value != 0);
  text_bytes(t, digits + sizeof digits - n, n);
}

/* The NUL-terminated text (the caller frees it), or NULL when an
 * allocation failed; `t` is reset either way. */
static inline char *text_finish(text *t) {
  text_bytes(t, "", 0);
  char *out = NULL;
  if (!t->oom) {
    if (t->ptr == NULL) {
      t->ptr = malloc(1);
    }
    if (t->ptr != NULL) {
      t->ptr[t->len] = '\0';
      out = t->ptr;
      t->ptr = NULL;
    }
  }
  free(t->ptr);
  *t = (text){0};
  return out;
}

#endif
