/*
 * Native tests of the filter's hooks (src/filter.c) with the generated
 * bindings, run by `build.sh` under AddressSanitizer, LeakSanitizer and
 * UndefinedBehaviorSanitizer when the host compiler has them: every hook is
 * called the way the generated export wrappers call it (the heap memory its
 * arguments point to is the hook's to free or pass on), and its result is freed the way the generated
 * post-return functions free it, so a double free, a leak or a use after
 * free in the ownership handling fails the build.
 *
 * The host imports are stubbed here. The resource constructor's
 * `*_stream_filter_new` stores a pointer in an i32 handle, which only works
 * in wasm32, so build.sh compiles filter.c with it renamed to
 * `test_stream_filter_new` (below).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter_plugin.h"

void c_filter_test_reset(void);

static int failures = 0;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond);   \
      failures++;                                                          \
    }                                                                      \
  } while (0)

/* ---------------------------------------------------------------- stubs */

static const char *config_json = "{}";
static int log_lines = 0;

void __wasm_import_wasmgate_plugin_log_write(int32_t level, uint8_t *ptr, size_t len) {
  (void)level;
  (void)ptr;
  (void)len;
  log_lines++;
}

/* Like the host: a fresh heap string the caller owns. */
void __wasm_import_wasmgate_plugin_config_get(uint8_t *ret) {
  size_t len = strlen(config_json);
  uint8_t *copy = malloc(len == 0 ? 1 : len);
  memcpy(copy, config_json, len);
  *((uint8_t **)ret) = copy;
  *((size_t *)(ret + sizeof(void *))) = len;
}

void __wasm_import_wasmgate_plugin_kv_get(uint8_t *a, size_t b, uint8_t *c) {
  (void)a, (void)b, (void)c;
  abort();
}
void __wasm_import_wasmgate_plugin_kv_set(uint8_t *a, size_t b, uint8_t *c, size_t d, int32_t e,
                                          int64_t f, uint8_t *g) {
  (void)a, (void)b, (void)c, (void)d, (void)e, (void)f, (void)g;
  abort();
}
void __wasm_import_wasmgate_plugin_kv_delete(uint8_t *a, size_t b) {
  (void)a, (void)b;
  abort();
}
int64_t __wasm_import_wasmgate_plugin_clock_now_ms(void) { abort(); }
void __wasm_import_wasmgate_plugin_http_send(uint8_t *a, size_t b, uint8_t *c, size_t d,
                                             uint8_t *e, size_t f, uint8_t *g, size_t h,
                                             uint8_t *i) {
  (void)a, (void)b, (void)c, (void)d, (void)e, (void)f, (void)g, (void)h, (void)i;
  abort();
}
void __wasm_import_exports_wasmgate_plugin_filter_stream_filter_drop(int32_t handle) {
  (void)handle;
  abort();
}
int32_t __wasm_import_exports_wasmgate_plugin_filter_stream_filter_new(int32_t rep) {
  (void)rep;
  abort();
}
int32_t __wasm_import_exports_wasmgate_plugin_filter_stream_filter_rep(int32_t handle) {
  (void)handle;
  abort();
}

/* Defined by the wasm object file that carries the world's type. */
void __component_type_object_force_link_filter_plugin(void);
void __component_type_object_force_link_filter_plugin(void) {}

/* The renamed resource constructor: remembers the representation. */
static exports_wasmgate_plugin_filter_stream_filter_t *last_rep = NULL;
exports_wasmgate_plugin_filter_own_stream_filter_t test_stream_filter_new(
    exports_wasmgate_plugin_filter_stream_filter_t *rep) {
  last_rep = rep;
  return (exports_wasmgate_plugin_filter_own_stream_filter_t){1};
}

/* ---------------------------------------------------------------- builders */

static filter_plugin_string_t str(const char *s) {
  filter_plugin_string_t out;
  filter_plugin_string_dup(&out, s);
  return out;
}

static bool str_eq(const filter_plugin_string_t *s, const char *want) {
  return s->len == strlen(want) && memcmp(s->ptr, want, s->len) == 0;
}

/* A request context; the wrappers keep the record itself on their stack
 * and hand its heap strings to the hook. */
static exports_wasmgate_plugin_filter_request_context_t context(void) {
  exports_wasmgate_plugin_filter_request_context_t ctx;
  ctx.request_id = str("req-1");
  ctx.frontend = str("openai-chat");
  ctx.requested_model = str("gpt-fake");
  return ctx;
}

static wasmgate_plugin_types_content_part_t text_part(const char *s) {
  wasmgate_plugin_types_content_part_t part;
  memset(&part, 0, sizeof part);
  part.tag = WASMGATE_PLUGIN_TYPES_CONTENT_PART_TEXT;
  part.val.text = str(s);
  return part;
}

/* A request: a system message, a user message and a tool result, with
 * `max_tokens` when `max` is non-zero. */
static exports_wasmgate_plugin_filter_request_t request(const char *user, uint32_t max) {
  exports_wasmgate_plugin_filter_request_t req;
  memset(&req, 0, sizeof req);
  req.model = str("gpt-fake");
  req.messages.len = 3;
  req.messages.ptr = calloc(3, sizeof *req.messages.ptr);
  req.messages.ptr[0].role = WASMGATE_PLUGIN_TYPES_ROLE_SYSTEM;
  req.messages.ptr[0].content.len = 1;
  req.messages.ptr[0].content.ptr = calloc(1, sizeof(wasmgate_plugin_types_content_part_t));
  req.messages.ptr[0].content.ptr[0] = text_part("Be brief.");
  req.messages.ptr[1].role = WASMGATE_PLUGIN_TYPES_ROLE_USER;
  req.messages.ptr[1].content.len = 1;
  req.messages.ptr[1].content.ptr = calloc(1, sizeof(wasmgate_plugin_types_content_part_t));
  req.messages.ptr[1].content.ptr[0] = text_part(user);
  req.messages.ptr[1].name.is_some = true;
  req.messages.ptr[1].name.val = str("ann");
  req.messages.ptr[2].role = WASMGATE_PLUGIN_TYPES_ROLE_TOOL;
  req.messages.ptr[2].content.len = 1;
  req.messages.ptr[2].content.ptr = calloc(1, sizeof(wasmgate_plugin_types_content_part_t));
  wasmgate_plugin_types_content_part_t *result = &req.messages.ptr[2].content.ptr[0];
  result->tag = WASMGATE_PLUGIN_TYPES_CONTENT_PART_TOOL_RESULT;
  result->val.tool_result.call_id = str("call_1");
  result->val.tool_result.content.len = 1;
  result->val.tool_result.content.ptr = calloc(1, sizeof(wasmgate_plugin_types_tool_result_part_t));
  result->val.tool_result.content.ptr[0].tag = WASMGATE_PLUGIN_TYPES_TOOL_RESULT_PART_TEXT;
  result->val.tool_result.content.ptr[0].val.text = str("sunny");
  req.sampling.max_tokens.is_some = max != 0;
  req.sampling.max_tokens.val = max;
  req.sampling.stop.len = 1;
  req.sampling.stop.ptr = calloc(1, sizeof(filter_plugin_string_t));
  req.sampling.stop.ptr[0] = str("END");
  req.extra.is_some = true;
  req.extra.val = str("{}");
  return req;
}

/* Call on-request as the export wrapper does (records on the stack, what
 * they point to on the heap) and return its action. */
static exports_wasmgate_plugin_filter_request_action_t on_request(
    exports_wasmgate_plugin_filter_request_t req) {
  exports_wasmgate_plugin_filter_request_context_t ctx = context();
  exports_wasmgate_plugin_filter_request_action_t action;
  exports_wasmgate_plugin_filter_on_request(&ctx, &req, &action);
  return action;
}

static wasmgate_plugin_types_stream_event_t text_event(const char *s) {
  wasmgate_plugin_types_stream_event_t e;
  memset(&e, 0, sizeof e);
  e.tag = WASMGATE_PLUGIN_TYPES_STREAM_EVENT_TEXT_DELTA;
  e.val.text_delta = str(s);
  return e;
}

static wasmgate_plugin_types_stream_event_t plain_event(uint8_t tag) {
  wasmgate_plugin_types_stream_event_t e;
  memset(&e, 0, sizeof e);
  e.tag = tag;
  if (tag == WASMGATE_PLUGIN_TYPES_STREAM_EVENT_START) {
    e.val.start.id = str("chatcmpl-1");
    e.val.start.model = str("gpt-fake");
  } else if (tag == WASMGATE_PLUGIN_TYPES_STREAM_EVENT_TOOL_CALL_START) {
    e.val.tool_call_start.id = str("call_1");
    e.val.tool_call_start.name = str("get_weather");
  } else if (tag == WASMGATE_PLUGIN_TYPES_STREAM_EVENT_FINISH) {
    e.val.finish.tag = WASMGATE_PLUGIN_TYPES_FINISH_REASON_OTHER;
    e.val.finish.val.other = str("done");
  }
  return e;
}

/* Feed `n` events to the stream filter; returns what it passed on (the
 * caller frees it with the list's free function, as post-return does). */
static exports_wasmgate_plugin_filter_list_stream_event_t feed(
    exports_wasmgate_plugin_filter_stream_filter_t *self,
    const wasmgate_plugin_types_stream_event_t *events, size_t n) {
  exports_wasmgate_plugin_filter_list_stream_event_t in = {NULL, 0};
  if (n > 0) {
    in.ptr = malloc(n * sizeof *in.ptr);
    memcpy(in.ptr, events, n * sizeof *in.ptr);
    in.len = n;
  }
  exports_wasmgate_plugin_filter_list_stream_event_t out = {NULL, 0};
  exports_wasmgate_plugin_filter_error_t err;
  bool ok = exports_wasmgate_plugin_filter_method_stream_filter_on_events(self, &in, &out, &err);
  CHECK(ok);
  return out;
}

static exports_wasmgate_plugin_filter_stream_filter_t *new_stream(void) {
  exports_wasmgate_plugin_filter_stream_filter_t *before = last_rep;
  exports_wasmgate_plugin_filter_request_context_t ctx = context();
  exports_wasmgate_plugin_filter_constructor_stream_filter(&ctx);
  CHECK(last_rep != NULL && last_rep != before);
  return last_rep;
}

/* ---------------------------------------------------------------- tests */

static void with_config(const char *json) {
  c_filter_test_reset();
  config_json = json;
}

static void test_init(void) {
  with_config("{\"max_tokens\": 64, \"max_prompt_bytes\": 30, \"footer\": \" [c]\"}");
  exports_wasmgate_plugin_filter_error_t err;
  int lines = log_lines;
  CHECK(exports_wasmgate_plugin_filter_init(&err));
  CHECK(log_lines == lines + 1);

  with_config("{\"max_tokens\": \"lots\"}");
  CHECK(!exports_wasmgate_plugin_filter_init(&err));
  CHECK(err.kind == WASMGATE_PLUGIN_TYPES_ERROR_KIND_INVALID_REQUEST && err.status == 400);
  CHECK(str_eq(&err.message,
               "c-filter config: `max_tokens` must be a whole number from 1 to 4294967295, "
               "not a string"));
  exports_wasmgate_plugin_filter_error_free(&err);

  /* A config that goes bad after init: each hook fails with a plugin error. */
  exports_wasmgate_plugin_filter_request_action_t action = on_request(request("hi", 0));
  CHECK(action.tag == EXPORTS_WASMGATE_PLUGIN_FILTER_REQUEST_ACTION_REJECT);
  CHECK(action.val.reject.kind == WASMGATE_PLUGIN_TYPES_ERROR_KIND_PLUGIN);
  CHECK(action.val.reject.status == 500);
  exports_wasmgate_plugin_filter_request_action_free(&action);
}

static void test_requests(void) {
  with_config("{\"max_tokens\": 64, \"max_prompt_bytes\": 30}");
  /* 9 + 5 + 5 = 19 bytes: passes; max_tokens set to the ceiling. */
  exports_wasmgate_plugin_filter_request_action_t action = on_request(request("hello", 0));
  CHECK(action.tag == EXPORTS_WASMGATE_PLUGIN_FILTER_REQUEST_ACTION_CONTINUE);
  CHECK(action.val.continue_.sampling.max_tokens.is_some);
  CHECK(action.val.continue_.sampling.max_tokens.val == 64);
  CHECK(str_eq(&action.val.continue_.messages.ptr[1].content.ptr[0].val.text, "hello"));
  exports_wasmgate_plugin_filter_request_action_free(&action);

  action = on_request(request("hello", 1000));
  CHECK(action.val.continue_.sampling.max_tokens.val == 64);
  exports_wasmgate_plugin_filter_request_action_free(&action);
  action = on_request(request("hello", 10));
  CHECK(action.val.continue_.sampling.max_tokens.val == 10);
  exports_wasmgate_plugin_filter_request_action_free(&action);

  /* 9 + 17 + 5 = 31 bytes: rejected, and the request freed. */
  action = on_request(request("hello hello hello", 0));
  CHECK(action.tag == EXPORTS_WASMGATE_PLUGIN_FILTER_REQUEST_ACTION_REJECT);
  CHECK(action.val.reject.kind == WASMGATE_PLUGIN_TYPES_ERROR_KIND_CONTEXT_LENGTH);
  CHECK(action.val.reject.status == 400 && !action.val.reject.retryable);
  CHECK(str_eq(&action.val.reject.message,
               "c-filter: the prompt has 31 bytes of text, over the limit of 30"));
  exports_wasmgate_plugin_filter_request_action_free(&action);
}

static void test_response(void) {
  with_config("{\"footer\": \" [c]\"}");
  exports_wasmgate_plugin_filter_request_context_t ctx = context();
  exports_wasmgate_plugin_filter_response_t response;
  memset(&response, 0, sizeof response);
  exports_wasmgate_plugin_filter_response_t *resp = &response;
  resp->id = str("chatcmpl-1");
  resp->model = str("gpt-fake");
  resp->content.len = 3;
  resp->content.ptr = calloc(3, sizeof *resp->content.ptr);
  resp->content.ptr[0] = text_part("first");
  resp->content.ptr[1] = text_part("second");
  resp->content.ptr[2].tag = WASMGATE_PLUGIN_TYPES_CONTENT_PART_TOOL_CALL;
  resp->content.ptr[2].val.tool_call.id = str("call_1");
  resp->content.ptr[2].val.tool_call.name = str("f");
  resp->content.ptr[2].val.tool_call.arguments = str("{}");
  exports_wasmgate_plugin_filter_response_t out;
  exports_wasmgate_plugin_filter_error_t err;
  CHECK(exports_wasmgate_plugin_filter_on_response(&ctx, resp, &out, &err));
  CHECK(str_eq(&out.content.ptr[0].val.text, "first"));
  CHECK(str_eq(&out.content.ptr[1].val.text, "second [c]"));
  exports_wasmgate_plugin_filter_response_free(&out);
}

static void test_streams(void) {
  with_config("{\"footer\": \" [c]\"}");
  exports_wasmgate_plugin_filter_error_t err;

  /* Text, then usage and finish: the footer goes right before usage. */
  exports_wasmgate_plugin_filter_stream_filter_t *s = new_stream();
  wasmgate_plugin_types_stream_event_t first[] = {
      plain_event(WASMGATE_PLUGIN_TYPES_STREAM_EVENT_START), text_event(""), text_event("Hi")};
  exports_wasmgate_plugin_filter_list_stream_event_t out = feed(s, first, 3);
  CHECK(out.len == 3);
  exports_wasmgate_plugin_filter_list_stream_event_free(&out);
  wasmgate_plugin_types_stream_event_t second[] = {
      plain_event(WASMGATE_PLUGIN_TYPES_STREAM_EVENT_USAGE),
      plain_event(WASMGATE_PLUGIN_TYPES_STREAM_EVENT_FINISH)};
  out = feed(s, second, 2);
  CHECK(out.len == 3);
  CHECK(out.ptr[0].tag == WASMGATE_PLUGIN_TYPES_STREAM_EVENT_TEXT_DELTA);
  CHECK(str_eq(&out.ptr[0].val.text_delta, " [c]"));
  CHECK(out.ptr[1].tag == WASMGATE_PLUGIN_TYPES_STREAM_EVENT_USAGE);
  CHECK(out.ptr[2].tag == WASMGATE_PLUGIN_TYPES_STREAM_EVENT_FINISH);
  CHECK(str_eq(&out.ptr[2].val.finish.val.other, "done"));
  exports_wasmgate_plugin_filter_list_stream_event_free(&out);
  out = feed(s, NULL, 0);
  CHECK(out.len == 0);
  exports_wasmgate_plugin_filter_list_stream_event_free(&out);
  CHECK(exports_wasmgate_plugin_filter_method_stream_filter_finish(s, &out, &err));
  CHECK(out.len == 0);
  exports_wasmgate_plugin_filter_list_stream_event_free(&out);
  exports_wasmgate_plugin_filter_stream_filter_destructor(s);

  /* Only a tool call (and an empty delta): no footer. */
  s = new_stream();
  wasmgate_plugin_types_stream_event_t tool[] = {
      plain_event(WASMGATE_PLUGIN_TYPES_STREAM_EVENT_START), text_event(""),
      plain_event(WASMGATE_PLUGIN_TYPES_STREAM_EVENT_TOOL_CALL_START),
      plain_event(WASMGATE_PLUGIN_TYPES_STREAM_EVENT_TOOL_CALL_END),
      plain_event(WASMGATE_PLUGIN_TYPES_STREAM_EVENT_FINISH)};
  out = feed(s, tool, 5);
  CHECK(out.len == 5);
  exports_wasmgate_plugin_filter_list_stream_event_free(&out);
  CHECK(exports_wasmgate_plugin_filter_method_stream_filter_finish(s, &out, &err));
  CHECK(out.len == 0);
  exports_wasmgate_plugin_filter_stream_filter_destructor(s);

  /* A stream that ends without usage or finish: the footer comes at finish. */
  s = new_stream();
  wasmgate_plugin_types_stream_event_t cut[] = {
      plain_event(WASMGATE_PLUGIN_TYPES_STREAM_EVENT_START), text_event("partial")};
  out = feed(s, cut, 2);
  exports_wasmgate_plugin_filter_list_stream_event_free(&out);
  CHECK(exports_wasmgate_plugin_filter_method_stream_filter_finish(s, &out, &err));
  CHECK(out.len == 1 && str_eq(&out.ptr[0].val.text_delta, " [c]"));
  exports_wasmgate_plugin_filter_list_stream_event_free(&out);
  exports_wasmgate_plugin_filter_stream_filter_destructor(s);

  /* No footer configured: the list passes through untouched. */
  with_config("{}");
  s = new_stream();
  wasmgate_plugin_types_stream_event_t plain[] = {text_event("x"),
                                                  plain_event(WASMGATE_PLUGIN_TYPES_STREAM_EVENT_FINISH)};
  out = feed(s, plain, 2);
  CHECK(out.len == 2);
  exports_wasmgate_plugin_filter_list_stream_event_free(&out);
  exports_wasmgate_plugin_filter_stream_filter_destructor(s);
}

int main(void) {
  test_init();
  test_requests();
  test_response();
  test_streams();
  c_filter_test_reset();
  if (failures != 0) {
    fprintf(stderr, "c-filter hook tests: %d failed\n", failures);
    return 1;
  }
  printf("c-filter hook tests: all passed\n");
  return 0;
}
