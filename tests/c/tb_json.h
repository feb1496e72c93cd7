/* Walking JSON text in the C tests: members and paths of objects, array
 * elements, copies of values. Enough for checking the library's answers
 * exactly (a value at a path) rather than by substring; not a parser. */
#ifndef TB_JSON_H
#define TB_JSON_H

#include "tb_test.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static inline const char *test_namespace(void) {
    const char *ns = getenv("TB_NAMESPACE");
    return ns && ns[0] ? ns : "default";
}

/* Past the JSON string starting at `at` (its opening quote), or NULL. */
static inline const char *json_string_end(const char *at) {
    if (*at != '"') return NULL;
    for (at++; *at != '\0'; at++) {
        if (*at == '\\') {
            if (at[1] == '\0') return NULL;
            at++;
        } else if (*at == '"') {
            return at + 1;
        }
    }
    return NULL;
}

/* Past the JSON value starting at `at` (no whitespace before it), or NULL. */
static inline const char *json_value_end(const char *at) {
    if (at == NULL) return NULL;
    if (*at == '"') return json_string_end(at);
    if (*at == '{' || *at == '[') {
        int depth = 0;
        while (*at != '\0') {
            if (*at == '"') {
                at = json_string_end(at);
                if (at == NULL) return NULL;
                continue;
            }
            if (*at == '{' || *at == '[') depth++;
            if (*at == '}' || *at == ']') {
                depth--;
                if (depth == 0) return at + 1;
            }
            at++;
        }
        return NULL;
    }
    /* A number, true, false or null. */
    while (*at != '\0' && *at != ',' && *at != '}' && *at != ']' && *at != ' ' &&
           *at != '\n' && *at != '\r' && *at != '\t')
        at++;
    return at;
}

/* The value of member `key` of the JSON object starting at `object`
 * (top-level members only), or NULL. */
static inline const char *json_member(const char *object, const char *key) {
    const char *at;
    size_t key_len = strlen(key);
    if (object == NULL) return NULL;
    at = json_skip_space(object);
    if (*at != '{') return NULL;
    at = json_skip_space(at + 1);
    while (*at == '"') {
        const char *name_end = json_string_end(at);
        const char *value;
        if (name_end == NULL) return NULL;
        value = json_skip_space(name_end);
        if (*value != ':') return NULL;
        value = json_skip_space(value + 1);
        if ((size_t)(name_end - at - 2) == key_len && strncmp(at + 1, key, key_len) == 0)
            return value;
        at = json_value_end(value);
        if (at == NULL) return NULL;
        at = json_skip_space(at);
        if (*at != ',') return NULL;
        at = json_skip_space(at + 1);
    }
    return NULL;
}

/* The value at a path of object members, e.g. ("response", "namespaceInfo",
 * "name", NULL), or NULL. */
static inline const char *json_path(const char *json, ...) {
    va_list keys;
    const char *key;
    const char *at = json;
    va_start(keys, json);
    while (at != NULL && (key = va_arg(keys, const char *)) != NULL) at = json_member(at, key);
    va_end(keys);
    return at;
}

/* Copies the JSON value at `at` (its text as it is) into `out`; 0 if there
 * is none or it does not fit. */
static inline int json_copy_value(const char *at, char *out, size_t size) {
    const char *end = json_value_end(at);
    if (end == NULL || (size_t)(end - at) >= size) return 0;
    memcpy(out, at, (size_t)(end - at));
    out[end - at] = '\0';
    return 1;
}

/* Copies the JSON string at `at` without its quotes (no escape handling: the
 * tests read names and versions); 0 if it is no string or does not fit. */
static inline int json_copy_string(const char *at, char *out, size_t size) {
    const char *end;
    if (at == NULL || *at != '"') return 0;
    end = json_string_end(at);
    if (end == NULL || (size_t)(end - at - 2) >= size) return 0;
    memcpy(out, at + 1, (size_t)(end - at - 2));
    out[end - at - 2] = '\0';
    return 1;
}

/* How many elements the JSON array at `at` has; -1 if it is no array. */
static inline int json_array_length(const char *at) {
    int count = 0;
    if (at == NULL || *at != '[') return -1;
    at = json_skip_space(at + 1);
    if (*at == ']') return 0;
    for (;;) {
        at = json_value_end(at);
        if (at == NULL) return -1;
        count++;
        at = json_skip_space(at);
        if (*at == ']') return count;
        if (*at != ',') return -1;
        at = json_skip_space(at + 1);
    }
}

/* The first element of the JSON array at `at`, or NULL. */
static inline const char *json_first_element(const char *at) {
    if (at == NULL || *at != '[') return NULL;
    at = json_skip_space(at + 1);
    return *at == ']' ? NULL : at;
}

/* A malloc'd copy of the JSON value at `at` (its text as it is), or NULL. */
static inline char *json_dup_value(const char *at) {
    const char *end = json_value_end(at);
    char *copy;
    if (end == NULL) return NULL;
    copy = (char *)malloc((size_t)(end - at) + 1);
    CHECK(copy != NULL, "out of memory");
    memcpy(copy, at, (size_t)(end - at));
    copy[end - at] = '\0';
    return copy;
}

/* Whether the JSON value at `at` is exactly the text `want`. */
static inline int json_value_is(const char *at, const char *want) {
    const char *end = json_value_end(at);
    return end != NULL && (size_t)(end - at) == strlen(want) &&
           strncmp(at, want, strlen(want)) == 0;
}

/* The value at `path...` of `json` must read `want` (JSON text: strings with
 * their quotes, e.g. "\"<redacted>\"", or null, true, ...). */
#define CHECK_AT(json, want, ...)                                               \
    do {                                                                        \
        char got_[1024];                                                        \
        CHECK(json_copy_value(json_path((json), __VA_ARGS__, (const char *)NULL), \
                              got_, sizeof got_) &&                             \
                  strcmp(got_, (want)) == 0,                                    \
              "%s is not %s in %s", #__VA_ARGS__, (want), (json));              \
    } while (0)

/* `needle` must not appear in `json`. */
#define CHECK_LACKS(json, needle)                                               \
    CHECK(!json_has((json), (needle)), "%s must not appear in %s", (needle),    \
          or_none(json))

#endif /* TB_JSON_H */
