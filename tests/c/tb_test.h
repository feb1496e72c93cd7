/* Shared helpers of the C and C++ tests: assertions that stop the program
 * with file:line, the harness's environment (TB_TARGET, TB_TASK_QUEUE,
 * TB_CLEANUP_DIR), unique workflow IDs, monotonic time, just enough JSON
 * reading (substring checks, one string or integer field) for the tests'
 * assertions, and the calls most tests make (start a workflow, wait for its
 * result).
 * Header-only so that every test program stays a single file plus this. */
#ifndef TB_TEST_H
#define TB_TEST_H

/* clock_gettime, nanosleep, getpid under -std=c11 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "temporal_bridge.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TB_FAIL(...)                                                            \
    do {                                                                        \
        fprintf(stderr, "%s:%d: FAILED: ", __FILE__, __LINE__);                 \
        fprintf(stderr, __VA_ARGS__);                                           \
        fputc('\n', stderr);                                                    \
        exit(1);                                                                \
    } while (0)

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__,    \
                    #cond);                                                     \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
            exit(1);                                                            \
        }                                                                       \
    } while (0)

/* A call's outcome must be `want`; on failure shows the error JSON. */
#define CHECK_STATUS(got, want, error_json)                                     \
    CHECK((got) == (want), "status %s (%u), wanted %s; error: %s",              \
          tb_status_name((uint32_t)(got)), (unsigned)(got),                     \
          tb_status_name((uint32_t)(want)), or_none(error_json))

/* Something printable for a string that may be NULL. */
static inline const char *or_none(const char *text) { return text ? text : "(none)"; }

/* Whether `json` contains `needle` (the library's JSON is compact). */
static inline int json_has(const char *json, const char *needle) {
    return json != NULL && strstr(json, needle) != NULL;
}

#define CHECK_HAS(json, needle)                                                 \
    CHECK(json_has((json), (needle)), "expected %s in %s", (needle),            \
          or_none(json))

/* Checks an error object: `kind` is the status's name and the message or
 * details contain `mention` (NULL: no check). */
#define CHECK_ERROR(status, want, error_json, mention)                          \
    do {                                                                        \
        char kind_[96];                                                         \
        CHECK_STATUS((status), (want), (error_json));                           \
        CHECK((error_json) != NULL, "no error JSON for %s",                     \
              tb_status_name((uint32_t)(want)));                                \
        snprintf(kind_, sizeof kind_, "\"kind\":\"%s\"",                        \
                 tb_status_name((uint32_t)(want)));                             \
        CHECK_HAS((error_json), kind_);                                         \
        CHECK_HAS((error_json), "\"message\":\"");                              \
        CHECK_HAS((error_json), "\"details\":{");                               \
        if ((mention) != NULL) CHECK_HAS((error_json), (const char *)(mention)); \
    } while (0)

/* Skips JSON whitespace (the library's JSON is compact; other writers, e.g.
 * Python's json.dumps, put spaces around ':' and ','). */
static inline const char *json_skip_space(const char *at) {
    while (*at == ' ' || *at == '\t' || *at == '\n' || *at == '\r') at++;
    return at;
}

/* Where the value of the first `"key": <value>` in `json` starts, for which
 * `accept` says yes about the value's first character (NULL: none). */
static inline const char *json_value_of(const char *json, const char *key,
                                        int (*accept)(char first)) {
    char pattern[128];
    const char *at = json;
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    while (at != NULL && (at = strstr(at, pattern)) != NULL) {
        const char *value = json_skip_space(at + strlen(pattern));
        at += strlen(pattern);
        if (*value != ':') continue; /* the key's text as a value, not a key */
        value = json_skip_space(value + 1);
        if (accept(*value)) return value;
    }
    return NULL;
}

static inline int json_starts_string(char first) { return first == '"'; }
static inline int json_starts_integer(char first) {
    return first == '-' || (first >= '0' && first <= '9');
}

/* Copies the string value of the first `"key":"..."` in `json` into `out`
 * (no escape handling: the tests only read IDs and statuses). */
static inline int json_string_field(const char *json, const char *key, char *out,
                                    size_t size) {
    const char *start = json_value_of(json, key, json_starts_string);
    const char *end;
    if (start == NULL) return 0;
    start += 1;
    end = strchr(start, '"');
    if (end == NULL || (size_t)(end - start) >= size) return 0;
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
    return 1;
}

/* Reads the integer value of the first `"key":N` in `json` into `out`. */
static inline int json_integer_field(const char *json, const char *key, long long *out) {
    const char *start = json_value_of(json, key, json_starts_integer);
    char *end;
    if (start == NULL) return 0;
    *out = strtoll(start, &end, 10);
    return end != start;
}

static inline const char *test_env(const char *name) {
    const char *value = getenv(name);
    if (value == NULL || value[0] == '\0')
        TB_FAIL("environment variable %s is not set; run tests/run_c_tests.sh, "
                "which starts a dev server and worker", name);
    return value;
}

static inline double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void sleep_seconds(double seconds) {
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

/* The wall-clock time `seconds` from now, for pthread_cond_timedwait. */
static inline struct timespec deadline_after(double seconds) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)seconds;
    until.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec += 1;
        until.tv_nsec -= 1000000000L;
    }
    return until;
}

/* A workflow ID no other test run uses (the sanitizer pass reuses the server). */
static inline void unique_id(const char *what, char *out, size_t size) {
    static unsigned counter = 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(out, size, "c-%s-%ld-%lld%09ld-%u", what, (long)getpid(),
             (long long)ts.tv_sec, ts.tv_nsec, counter++);
}

/* Connects to the harness's server or fails the test. */
static inline TbClient *test_connect(void) {
    char options[512];
    char *error = NULL;
    TbClient *client = NULL;
    TbStatus status;
    const char *ns = getenv("TB_NAMESPACE");
    snprintf(options, sizeof options, "{\"target\":\"%s\",\"namespace\":\"%s\"}",
             test_env("TB_TARGET"), ns && ns[0] ? ns : "default");
    status = tb_client_connect(options, &client, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK(client != NULL, "connect gave no client");
    CHECK(error == NULL, "error_out written on success");
    return client;
}

/* Runs a blocking call by operation name and returns its response, failing
 * the test on any error. Free the result with tb_string_free. */
static inline char *call_ok(const TbClient *client, const char *operation,
                            const char *request) {
    char *response = NULL;
    char *error = NULL;
    TbStatus status = tb_client_call(client, operation, request, NULL, &response, &error);
    if (status != TB_STATUS_OK)
        TB_FAIL("%s %s: %s: %s", operation, request, tb_status_name(status), error);
    CHECK(response != NULL, "%s gave no response", operation);
    CHECK(error == NULL, "error_out written on success");
    return response;
}

/* The workflow's current status from describe_workflow, e.g. "running". */
static inline void describe_status(const TbClient *client, const char *workflow_id,
                                   char *out, size_t size) {
    char request[256];
    char *response;
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\"}", workflow_id);
    response = call_ok(client, "describe_workflow", request);
    if (!json_string_field(response, "status", out, size))
        TB_FAIL("no status in describe response %s", response);
    tb_string_free(response);
}

/* The start_workflow request of `workflow_type` with JSON array `args` under
 * `workflow_id`, on the harness's task queue. */
static inline void start_request(char *out, size_t size, const char *workflow_type,
                                 const char *workflow_id, const char *args) {
    snprintf(out, size,
             "{\"workflow_type\":\"%s\",\"task_queue\":\"%s\",\"workflow_id\":\"%s\","
             "\"args\":%s}",
             workflow_type, test_env("TB_TASK_QUEUE"), workflow_id, args);
}

/* Starts `workflow_type` with JSON array `args` under `workflow_id` and copies
 * the started run's ID into `run_id` (NULL: not wanted). */
static inline void start_workflow_run(const TbClient *client, const char *workflow_type,
                                      const char *workflow_id, const char *args,
                                      char *run_id, size_t run_id_size) {
    char request[1024];
    char *response;
    start_request(request, sizeof request, workflow_type, workflow_id, args);
    response = call_ok(client, "start_workflow", request);
    if (run_id != NULL && !json_string_field(response, "run_id", run_id, run_id_size))
        TB_FAIL("no run_id in start response %s", response);
    tb_string_free(response);
}

/* Starts `workflow_type` with JSON array `args` under `workflow_id`. */
static inline void start_workflow(const TbClient *client, const char *workflow_type,
                                  const char *workflow_id, const char *args) {
    start_workflow_run(client, workflow_type, workflow_id, args, NULL, 0);
}

/* Starts a workflow that runs for ten minutes under a fresh ID made from
 * `what`, written to `workflow_id`. */
static inline void start_long_running(const TbClient *client, const char *what,
                                      char *workflow_id, size_t size) {
    unique_id(what, workflow_id, size);
    start_workflow(client, "LongRunningWorkflow", workflow_id, "[600]");
}

/* Waits for the workflow's result, for at most `call_timeout` (e.g. "60s"):
 * tb_workflow_get_result's status, and its outputs. */
static inline TbStatus get_result(const TbClient *client, const char *workflow_id,
                                  const char *call_timeout, char **response_out,
                                  char **error_out) {
    char request[256];
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\",\"call_timeout\":\"%s\"}",
             workflow_id, call_timeout);
    return tb_workflow_get_result(client, request, NULL, response_out, error_out);
}

/* Terminates a workflow a test left running (ignores "already closed"). */
static inline void terminate_quietly(const TbClient *client, const char *workflow_id) {
    char request[256];
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"reason\":\"test cleanup\"}", workflow_id);
    tb_client_call(client, "terminate_workflow", request, NULL, NULL, NULL);
}

#endif /* TB_TEST_H */
