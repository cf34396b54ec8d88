/*
 * c-filter: a wasmgate filter plugin written in C against the bindings that
 * `wit-bindgen c` generates for the `filter-plugin` world (../../wit).
 *
 * From its config (see config.h):
 *   - `max_tokens`: a request asking for more output tokens than this, or
 *     not saying, is sent upstream with max_tokens set to this ceiling;
 *   - `max_prompt_bytes`: a request whose messages carry more bytes of text
 *     than this is rejected with a typed `context-length` error (400), which
 *     each client gets in its own wire format;
 *   - `footer`: appended to the assistant's answer: to the last text part of
 *     a whole answer, and as one more text delta before the `usage` or
 *     `finish` event (whichever comes first) of a streamed one. Answers
 *     without text (only tool calls) are left alone.
 *
 * Ownership, as wit-bindgen's C bindings define it: the arguments of an
 * exported function belong to the callee (free them or move them into the
 * result), and whatever is returned is freed by the generated post-return
 * function with free(), so every returned string or list must be heap
 * memory (never a literal). A zero-length string or list may carry a
 * non-NULL dummy pointer and is never freed. Returned values of imports
 * belong to the caller.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "filter_plugin.h"
#include "text.h"

typedef exports_wasmgate_plugin_filter_error_t error_t_;
typedef exports_wasmgate_plugin_filter_list_stream_event_t event_list;
typedef wasmgate_plugin_types_stream_event_t event;

/* ---------------------------------------------------------------- helpers */

static void *xmalloc(size_t size) {
  void *p = malloc(size == 0 ? 1 : size);
  if (p == NULL) {
    abort(); /* a trap: the gateway reports a plugin failure */
  }
  return p;
}

/* Free a string that came from the host or from these helpers. */
static void string_free(filter_plugin_string_t *s) { filter_plugin_string_free(s); }

/* A heap copy of `len` bytes as a WIT string. */
static filter_plugin_string_t string_copy(const char *bytes, size_t len) {
  filter_plugin_string_t s = {NULL, 0};
  if (len > 0) {
    s.ptr = xmalloc(len);
    memcpy(s.ptr, bytes, len);
    s.len = len;
  }
  return s;
}

/* Append `len` bytes to `s` in place. */
static void string_append(filter_plugin_string_t *s, const char *bytes, size_t len) {
  if (len == 0) {
    return;
  }
  uint8_t *grown = realloc(s->len > 0 ? s->ptr : NULL, s->len + len);
  if (grown == NULL) {
    abort();
  }
  memcpy(grown + s->len, bytes, len);
  s->ptr = grown;
  s->len += len;
}

/* Log the line built in `t` (and free it). */
static void log_text(wasmgate_plugin_log_level_t level, text *t) {
  char *line = text_finish(t);
  if (line == NULL) {
    return;
  }
  filter_plugin_string_t message;
  filter_plugin_string_set(&message, line); /* borrowed: the host copies it */
  wasmgate_plugin_log_write(level, &message);
  free(line);
}

/* A typed error with a heap copy of `message`. */
static error_t_ make_error(wasmgate_plugin_types_error_kind_t kind, uint16_t status,
                           const char *message) {
  error_t_ e;
  e.kind = kind;
  e.status = status;
  e.retryable = false;
  e.message = string_copy(message, strlen(message));
  return e;
}

/* A typed error with the message built in `t` (moved, not copied). */
static error_t_ make_error_text(wasmgate_plugin_types_error_kind_t kind, uint16_t status,
                                text *t) {
  size_t len = t->len;
  char *message = text_finish(t);
  if (message == NULL) {
    return make_error(kind, status, "c-filter: out of memory");
  }
  error_t_ e;
  e.kind = kind;
  e.status = status;
  e.retryable = false;
  e.message.ptr = (uint8_t *)message;
  e.message.len = len;
  if (len == 0) {
    /* Post-return frees only non-empty strings. */
    free(message);
    e.message.ptr = NULL;
  }
  return e;
}

/* ---------------------------------------------------------------- config */

/* This instance's config, read on first use. One instance serves one
 * request, so this lives as long as the request. */
static c_filter_config settings;
static bool settings_loaded = false;

/* Read and parse the config; on failure a malloc'd message (or NULL when
 * out of memory) is left in *error. */
static bool load_settings(char **error) {
  if (settings_loaded) {
    return true;
  }
  filter_plugin_string_t json;
  wasmgate_plugin_config_get(&json);
  bool ok = c_filter_config_parse((const char *)json.ptr, json.len, &settings, error);
  string_free(&json);
  settings_loaded = ok;
  return ok;
}

/* The config in a hook after `init` accepted it; a failure here means the
 * config changed under us: a plugin error. */
static const c_filter_config *current(error_t_ *err) {
  char *error = NULL;
  if (load_settings(&error)) {
    return &settings;
  }
  *err = make_error(WASMGATE_PLUGIN_TYPES_ERROR_KIND_PLUGIN, 500,
                    error != NULL ? error : "c-filter: out of memory reading the config");
  free(error);
  return NULL;
}

bool exports_wasmgate_plugin_filter_init(error_t_ *err) {
  char *error = NULL;
  if (!load_settings(&error)) {
    *err = make_error(WASMGATE_PLUGIN_TYPES_ERROR_KIND_INVALID_REQUEST, 400,
                      error != NULL ? error : "c-filter: out of memory reading the config");
    free(error);
    return false;
  }
  text line = {0};
  text_str(&line, "c-filter ready: max_tokens ");
  if (settings.has_max_tokens) {
    text_u64(&line, settings.max_tokens);
  } else {
    text_str(&line, "off");
  }
  text_str(&line, ", max_prompt_bytes ");
  if (settings.has_max_prompt_bytes) {
    text_u64(&line, settings.max_prompt_bytes);
  } else {
    text_str(&line, "off");
  }
  text_str(&line, ", footer of ");
  text_u64(&line, settings.footer_len);
  text_str(&line, " bytes");
  log_text(WASMGATE_PLUGIN_LOG_LEVEL_INFO, &line);
  return true;
}

/* ---------------------------------------------------------------- requests */

/* Bytes of text in the prompt: text parts, and text inside tool results. */
static uint64_t prompt_bytes(const wasmgate_plugin_types_request_t *req) {
  uint64_t total = 0;
  for (size_t m = 0; m < req->messages.len; m++) {
    const wasmgate_plugin_types_list_content_part_t *content = &req->messages.ptr[m].content;
    for (size_t p = 0; p < content->len; p++) {
      const wasmgate_plugin_types_content_part_t *part = &content->ptr[p];
      if (part->tag == WASMGATE_PLUGIN_TYPES_CONTENT_PART_TEXT) {
        total += part->val.text.len;
      } else if (part->tag == WASMGATE_PLUGIN_TYPES_CONTENT_PART_TOOL_RESULT) {
        const wasmgate_plugin_types_list_tool_result_part_t *parts =
            &part->val.tool_result.content;
        for (size_t r = 0; r < parts->len; r++) {
          if (parts->ptr[r].tag == WASMGATE_PLUGIN_TYPES_TOOL_RESULT_PART_TEXT) {
            total += parts->ptr[r].val.text.len;
          }
        }
      }
    }
  }
  return total;
}

void exports_wasmgate_plugin_filter_on_request(
    exports_wasmgate_plugin_filter_request_context_t *ctx,
    exports_wasmgate_plugin_filter_request_t *req,
    exports_wasmgate_plugin_filter_request_action_t *ret) {
  error_t_ err;
  const c_filter_config *config = current(&err);
  if (config == NULL) {
    ret->tag = EXPORTS_WASMGATE_PLUGIN_FILTER_REQUEST_ACTION_REJECT;
    ret->val.reject = err;
    goto drop_request;
  }
  if (config->has_max_prompt_bytes) {
    uint64_t bytes = prompt_bytes(req);
    if (bytes > config->max_prompt_bytes) {
      text message = {0};
      text_str(&message, "c-filter: the prompt has ");
      text_u64(&message, bytes);
      text_str(&message, " bytes of text, over the limit of ");
      text_u64(&message, config->max_prompt_bytes);
      ret->tag = EXPORTS_WASMGATE_PLUGIN_FILTER_REQUEST_ACTION_REJECT;
      ret->val.reject =
          make_error_text(WASMGATE_PLUGIN_TYPES_ERROR_KIND_CONTEXT_LENGTH, 400, &message);
      /* The request id, never the prompt. */
      text line = {0};
      text_str(&line, "c-filter: rejected request ");
      text_utf8_prefix(&line, (const char *)ctx->request_id.ptr, ctx->request_id.len, 64);
      text_str(&line, ": ");
      text_u64(&line, bytes);
      text_str(&line, " bytes of prompt text");
      log_text(WASMGATE_PLUGIN_LOG_LEVEL_INFO, &line);
      goto drop_request;
    }
  }
  if (config->has_max_tokens) {
    filter_plugin_option_u32_t *max = &req->sampling.max_tokens;
    if (!max->is_some || max->val > config->max_tokens) {
      max->is_some = true;
      max->val = config->max_tokens;
    }
  }
  /* The request moves into the result; post-return frees it. */
  ret->tag = EXPORTS_WASMGATE_PLUGIN_FILTER_REQUEST_ACTION_CONTINUE;
  ret->val.continue_ = *req;
  exports_wasmgate_plugin_filter_request_context_free(ctx);
  return;

drop_request:
  exports_wasmgate_plugin_filter_request_free(req);
  exports_wasmgate_plugin_filter_request_context_free(ctx);
}

/* ---------------------------------------------------------------- answers */

bool exports_wasmgate_plugin_filter_on_response(
    exports_wasmgate_plugin_filter_request_context_t *ctx,
    exports_wasmgate_plugin_filter_response_t *resp,
    exports_wasmgate_plugin_filter_response_t *ret, error_t_ *err) {
  exports_wasmgate_plugin_filter_request_context_free(ctx);
  const c_filter_config *config = current(err);
  if (config == NULL) {
    exports_wasmgate_plugin_filter_response_free(resp);
    return false;
  }
  if (config->footer != NULL) {
    /* The last text part gets the footer. */
    for (size_t i = resp->content.len; i > 0; i--) {
      wasmgate_plugin_types_content_part_t *part = &resp->content.ptr[i - 1];
      if (part->tag == WASMGATE_PLUGIN_TYPES_CONTENT_PART_TEXT) {
        string_append(&part->val.text, config->footer, config->footer_len);
        break;
      }
    }
  }
  *ret = *resp;
  return true;
}

/* One per streamed answer. */
struct exports_wasmgate_plugin_filter_stream_filter_t {
  /* A non-empty text delta went by: the answer gets the footer. */
  bool text_seen;
  /* The footer went out, or the stream failed: nothing more to add. */
  bool footer_done;
};

exports_wasmgate_plugin_filter_own_stream_filter_t
exports_wasmgate_plugin_filter_constructor_stream_filter(
    exports_wasmgate_plugin_filter_request_context_t *ctx) {
  exports_wasmgate_plugin_filter_request_context_free(ctx);
  exports_wasmgate_plugin_filter_stream_filter_t *self = xmalloc(sizeof *self);
  self->text_seen = false;
  self->footer_done = false;
  return exports_wasmgate_plugin_filter_stream_filter_new(self);
}

void exports_wasmgate_plugin_filter_stream_filter_destructor(
    exports_wasmgate_plugin_filter_stream_filter_t *rep) {
  free(rep);
}

/* The footer as a text-delta event (a heap copy). */
static event footer_event(const c_filter_config *config) {
  event e;
  e.tag = WASMGATE_PLUGIN_TYPES_STREAM_EVENT_TEXT_DELTA;
  e.val.text_delta = string_copy(config->footer, config->footer_len);
  return e;
}

bool exports_wasmgate_plugin_filter_method_stream_filter_on_events(
    exports_wasmgate_plugin_filter_borrow_stream_filter_t self, event_list *events,
    event_list *ret, error_t_ *err) {
  const c_filter_config *config = current(err);
  if (config == NULL) {
    exports_wasmgate_plugin_filter_list_stream_event_free(events);
    return false;
  }
  if (config->footer == NULL || self->footer_done) {
    *ret = *events; /* unchanged: the list moves into the result */
    return true;
  }
  /* At most one event more than came in: the footer. The events move over
   * one by one; only the old array itself is freed. */
  size_t n = events->len;
  event *out = xmalloc((n + 1) * sizeof *out);
  size_t count = 0;
  for (size_t i = 0; i < n; i++) {
    event *e = &events->ptr[i];
    switch (e->tag) {
      case WASMGATE_PLUGIN_TYPES_STREAM_EVENT_TEXT_DELTA:
        /* An empty delta (some upstreams open with one) is not text. */
        if (e->val.text_delta.len > 0) {
          self->text_seen = true;
        }
        break;
      case WASMGATE_PLUGIN_TYPES_STREAM_EVENT_USAGE:
      case WASMGATE_PLUGIN_TYPES_STREAM_EVENT_FINISH:
        /* The grammar puts text before usage and finish. */
        if (self->text_seen && !self->footer_done) {
          out[count++] = footer_event(config);
          self->footer_done = true;
        }
        break;
      case WASMGATE_PLUGIN_TYPES_STREAM_EVENT_ERROR:
        self->footer_done = true;
        break;
      default:
        break;
    }
    out[count++] = *e;
  }
  if (n > 0) {
    free(events->ptr);
  }
  ret->ptr = out;
  ret->len = count;
  if (count == 0) {
    free(out);
    ret->ptr = NULL;
  }
  return true;
}

bool exports_wasmgate_plugin_filter_method_stream_filter_finish(
    exports_wasmgate_plugin_filter_borrow_stream_filter_t self, event_list *ret,
    error_t_ *err) {
  const c_filter_config *config = current(err);
  if (config == NULL) {
    return false;
  }
  ret->ptr = NULL;
  ret->len = 0;
  /* A stream that ended without usage or finish still gets its footer. */
  if (config->footer != NULL && self->text_seen && !self->footer_done) {
    ret->ptr = xmalloc(sizeof(event));
    ret->ptr[0] = footer_event(config);
    ret->len = 1;
    self->footer_done = true;
  }
  return true;
}

#ifdef C_FILTER_NATIVE_TEST
/* For tests/test_filter.c: forget the config read so far. */
void c_filter_test_reset(void);
void c_filter_test_reset(void) {
  c_filter_config_free(&settings);
  settings_loaded = false;
}
#endif
