/*
 * Native unit tests of the config reader (src/config.c). `build.sh` runs
 * them with the host's C compiler, under AddressSanitizer and
 * UndefinedBehaviorSanitizer (leaks included) when it has them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/config.h"

static int failures = 0;

#define CHECK(cond)                                               \
  do {                                                            \
    if (!(cond)) {                                                \
      fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                 \
    }                                                             \
  } while (0)

/* Parse `json`, which must succeed. */
static c_filter_config good(const char *json) {
  c_filter_config config;
  char *error = NULL;
  if (!c_filter_config_parse(json, strlen(json), &config, &error)) {
    fprintf(stderr, "unexpected error for %s: %s\n", json, error ? error : "(oom)");
    failures++;
  }
  CHECK(error == NULL);
  return config;
}

/* Parse `json`, which must fail with a message containing `needle`. */
static void bad(const char *json, const char *needle) {
  c_filter_config config;
  char *error = NULL;
  if (c_filter_config_parse(json, strlen(json), &config, &error)) {
    fprintf(stderr, "accepted a bad config: %s\n", json);
    failures++;
    c_filter_config_free(&config);
    return;
  }
  if (error == NULL || strstr(error, needle) == NULL) {
    fprintf(stderr, "for %s: wanted an error with \"%s\", got \"%s\"\n", json, needle,
            error ? error : "(null)");
    failures++;
  }
  CHECK(config.footer == NULL);
  free(error);
}

int main(void) {
  c_filter_config c = good("");
  CHECK(!c.has_max_tokens && !c.has_max_prompt_bytes && c.footer == NULL);
  c = good(" {} ");
  CHECK(!c.has_max_tokens && c.footer == NULL);

  c = good("{\"max_tokens\": 256, \"max_prompt_bytes\": 4096, \"footer\": \"\\n-- c\"}");
  CHECK(c.has_max_tokens && c.max_tokens == 256);
  CHECK(c.has_max_prompt_bytes && c.max_prompt_bytes == 4096);
  CHECK(c.footer_len == 5 && memcmp(c.footer, "\n-- c", 5) == 0);
  c_filter_config_free(&c);
  CHECK(c.footer == NULL && !c.has_max_tokens);

  /* Escapes: \u00e9 (2 bytes), \u20ac (3), a surrogate pair (4), \/ \t \". */
  c = good("{\"footer\":\"\\u00e9\\u20ac\\ud83d\\ude80\\/\\t\\\"\"}");
  const char want[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x9a\x80/\t\"";
  CHECK(c.footer_len == sizeof want - 1 && memcmp(c.footer, want, sizeof want - 1) == 0);
  c_filter_config_free(&c);
  /* Raw UTF-8 passes through; an empty footer is no footer. */
  c = good("{\"footer\":\"caf\xc3\xa9\"}");
  CHECK(c.footer_len == 5);
  c_filter_config_free(&c);
  c = good("{\"footer\":\"\"}");
  CHECK(c.footer == NULL);
  c = good("{\"max_tokens\":4294967295}");
  CHECK(c.max_tokens == 4294967295u);

  bad("[]", "must be a JSON object, not an array");
  bad("\"x\"", "must be a JSON object, not a string");
  bad("{\"max_token\": 5}", "unknown key `max_token`");
  bad("{\"max_tokens\": 5, \"max_tokens\": 6}", "`max_tokens` appears twice");
  bad("{\"max_tokens\": 0}", "`max_tokens` must be a whole number from 1 to 4294967295, not 0");
  bad("{\"max_tokens\": 4294967296}", "not 4294967296");
  bad("{\"max_tokens\": 1.5}", "not 1.5");
  bad("{\"max_tokens\": -3}", "not -3");
  bad("{\"max_tokens\": 1e3}", "not 1e3");
  bad("{\"max_tokens\": 99999999999999999999999}", "from 1 to 4294967295");
  bad("{\"max_tokens\": \"5\"}", "`max_tokens` must be a whole number from 1 to 4294967295, not a string");
  bad("{\"max_prompt_bytes\": true}", "`max_prompt_bytes` must be a whole number from 1 to 1099511627776, not a boolean");
  bad("{\"footer\": 3}", "`footer` must be a string, not a number");
  bad("{\"footer\": null}", "`footer` must be a string, not null");
  bad("{\"footer\": \"a", "expected the closing quote of a string");
  bad("{\"footer\": \"a\\q\"}", "a valid escape");
  bad("{\"footer\": \"\\ud83d\"}", "a low surrogate");
  bad("{\"footer\": \"\\ude80\"}", "a high surrogate before a low one");
  bad("{\"footer\": \"\\u12\"}", "four hex digits");
  bad("{\"footer\": \"a\nb\"}", "escaped control character");
  bad("{\"footer\": \"x\" \"max_tokens\": 1}", "not valid JSON at byte 15: expected `,` or `}`");
  bad("{\"footer\": \"x\",}", "expected a string");
  bad("{\"footer\" \"x\"}", "`:` after a key");
  bad("{\"max_tokens\": 5 6}", "expected `,` or `}`");
  bad("{} x", "expected the end of the text");
  bad("{", "found the end of the text");
  bad("{\"max_tokens\": 5, \"footer\": \"ok\", \"x\": 1}", "unknown key `x`");
  /* A long unknown key is quoted in part, cut at a character boundary:
   * 59 ASCII bytes, then a 2-byte character across the 60-byte cut. */
  bad("{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\u00e9zzz\": 1}",
      "unknown key `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` (known keys");

  if (failures != 0) {
    fprintf(stderr, "c-filter config tests: %d failed\n", failures);
    return 1;
  }
  printf("c-filter config tests: all passed\n");
  return 0;
}
