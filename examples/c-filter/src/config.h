/*
 * c-filter's configuration: the plugin's `config` table as JSON text, parsed
 * by hand (a small strict JSON reader, no dependencies, no bindings), so the
 * same code builds for wasm32-wasi and natively for tests.
 */
#ifndef C_FILTER_CONFIG_H
#define C_FILTER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The parsed config. A key left out of the JSON keeps its `has_` flag false
 * (or `footer` NULL): that feature is off. */
typedef struct {
  /* `max_tokens`: the ceiling for a request's max_tokens (1..=4294967295). */
  bool has_max_tokens;
  uint32_t max_tokens;
  /* `max_prompt_bytes`: the most UTF-8 bytes of text a prompt may carry. */
  bool has_max_prompt_bytes;
  uint64_t max_prompt_bytes;
  /* `footer`: UTF-8 text appended to every answer (malloc'd, not
   * NUL-terminated; NULL when unset or empty). */
  char *footer;
  size_t footer_len;
} c_filter_config;

/* Parse `len` bytes of JSON text into `out`; empty text means `{}`. On
 * failure returns false, `out` holds nothing to free, and `*error` is a
 * malloc'd, NUL-terminated message saying what is wrong (the caller frees
 * it; NULL when even that allocation failed). */
bool c_filter_config_parse(const char *json, size_t len, c_filter_config *out,
                           char **error);

/* Free what `c_filter_config_parse` allocated in `config` and reset it. */
void c_filter_config_free(c_filter_config *config);

#endif
