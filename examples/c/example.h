/* What the three C examples share: the environment they read (TB_TARGET,
 * TB_TASK_QUEUE, TB_CLEANUP_DIR), connecting, reporting a failed call, a
 * random workflow ID, and just enough JSON (quoting a string, reading one
 * top-level member of a response) to do without a JSON library. A real
 * program would use its own JSON library for both. Header-only, so every
 * example stays one file plus this one. */
#ifndef TB_EXAMPLE_H
#define TB_EXAMPLE_H

#include "temporal_bridge.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* getenv(name), or `fallback` when it is unset or empty. */
static inline const char *env_or(const char *name, const char *fallback) {
    const char *value = getenv(name);
    return value != NULL && value[0] != '\0' ? value : fallback;
}

/* Prints the failed call and its JSON error object, frees it, and exits. */
static inline void die(const char *what, TbStatus status, char *error_json) {
    fprintf(stderr, "%s failed: %s %s\n", what, tb_status_name((uint32_t)status),
            error_json != NULL ? error_json : "");
    tb_string_free(error_json);
    exit(1);
}

static inline void *xmalloc(size_t size) {
    void *p = malloc(size);
    if (p == NULL) {
        fputs("out of memory\n", stderr);
        exit(1);
    }
    return p;
}

/* `text` as a JSON string literal, quotes included (malloc'd). */
static inline char *json_quote(const char *text) {
    char *out = xmalloc(strlen(text) * 6 + 3), *o = out;
    *o++ = '"';
    for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
        if (*s == '"' || *s == '\\') {
            *o++ = '\\';
            *o++ = (char)*s;
        } else if (*s < 0x20) {
            o += sprintf(o, "\\u%04x", *s);
        } else {
            *o++ = (char)*s;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

/* sprintf into a new malloc'd string. */
#define FORMAT(...) format_new(snprintf(NULL, 0, __VA_ARGS__), __VA_ARGS__)
static inline char *format_new(int length, const char *format, ...) __attribute__((format(printf, 2, 3)));
static inline char *format_new(int length, const char *format, ...) {
    char *out = xmalloc((size_t)length + 1);
    va_list args;
    va_start(args, format);
    vsnprintf(out, (size_t)length + 1, format, args);
    va_end(args);
    return out;
}

/* Connects to TB_TARGET (default 127.0.0.1:7233), namespace "default". */
static inline TbClient *connect_client(void) {
    char *target = json_quote(env_or("TB_TARGET", "127.0.0.1:7233"));
    char *options = FORMAT("{\"target\": %s, \"namespace\": \"default\"}", target);
    TbClient *client = NULL;
    char *error = NULL;
    TbStatus status = tb_client_connect(options, &client, &error);
    free(target);
    free(options);
    if (status != TB_STATUS_OK) die("connect", status, error);
    return client;
}

/* "<prefix>_<random UUID v4>" (malloc'd). */
static inline char *new_workflow_id(const char *prefix) {
    unsigned char b[16];
    FILE *random = fopen("/dev/urandom", "rb");
    if (random == NULL || fread(b, 1, sizeof b, random) != sizeof b) {
        fputs("cannot read /dev/urandom\n", stderr);
        exit(1);
    }
    fclose(random);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    return FORMAT("%s_%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                  prefix, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
                  b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* ---- reading a response: one top-level member of a JSON object ---- */

static inline const char *json_skip_space(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

/* End of the JSON value starting at `p` (which is well-formed: the library
 * wrote it). */
static inline const char *json_skip_value(const char *p) {
    int depth = 0;
    do {
        if (*p == '"') {
            for (p++; *p != '"'; p++)
                if (*p == '\\') p++;
            p++;
        } else if (*p == '{' || *p == '[') {
            depth++, p++;
        } else if (*p == '}' || *p == ']') {
            depth--, p++;
        } else if (depth > 0) {
            p++;
        } else {
            while (*p && !strchr(",}] \t\r\n", *p)) p++; /* number, true, null... */
        }
    } while (depth > 0 && *p);
    return p;
}

/* The text of member `key` of the top-level object `json` (malloc'd), e.g.
 * "\"Hello, World!\"" or "[]"; NULL if there is no such member. */
static inline char *json_member(const char *json, const char *key) {
    const char *p = json_skip_space(json);
    size_t key_length = strlen(key);
    if (*p != '{') return NULL;
    for (p = json_skip_space(p + 1); *p == '"'; p = json_skip_space(p)) {
        const char *name = p + 1, *name_end = json_skip_value(p) - 1;
        const char *value = json_skip_space(json_skip_space(name_end + 1) + 1); /* past ':' */
        const char *value_end = json_skip_value(value);
        if ((size_t)(name_end - name) == key_length && memcmp(name, key, key_length) == 0) {
            char *out = xmalloc((size_t)(value_end - value) + 1);
            memcpy(out, value, (size_t)(value_end - value));
            out[value_end - value] = '\0';
            return out;
        }
        p = json_skip_space(value_end);
        if (*p == ',') p++;
    }
    return NULL;
}

/* Member `key` as a C string, for plain string values such as IDs and
 * statuses (quotes dropped, escapes left as they are; malloc'd). */
static inline char *json_string_member(const char *json, const char *key) {
    char *value = json_member(json, key);
    size_t length = value != NULL ? strlen(value) : 0;
    if (length < 2 || value[0] != '"') {
        free(value);
        return NULL;
    }
    memmove(value, value + 1, length - 2);
    value[length - 2] = '\0';
    return value;
}

#endif /* TB_EXAMPLE_H */
