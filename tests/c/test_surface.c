/* The rest of the C surface against the real dev server and Python SDK
 * worker: updates (result, rejected, unknown, failed; wait for acceptance,
 * then for the result), query failures and reject conditions,
 * signal-with-start, list paging and count, history, activities completed
 * from outside their worker by workflow and activity ID (heartbeat, complete,
 * fail, report cancellation), batch terminate; async forms with callbacks,
 * cancel tokens cancelled from another thread, unknown workflows and the
 * strict JSON contract of each of these functions. */
#define _GNU_SOURCE
#include "tb_test.h"

#include <errno.h>
#include <pthread.h>

/* Most a cancel may take to end a call (the work is one task wake-up). */
#define PROMPT_SECONDS 2.0
/* Most the eventually consistent visibility store may lag behind. */
#define VISIBILITY_SECONDS 30.0

/* Every named function of the C ABI has this shape. */
typedef TbStatus (*named_call)(const TbClient *client, const char *request_json,
                               const TbCancelToken *cancel, char **response_out,
                               char **error_out);
typedef TbStatus (*named_call_async)(const TbClient *client, const char *request_json,
                                     const TbCancelToken *cancel, TbCallCallback callback,
                                     void *user_data);

/* Sentinel for "not written": a real address no call would ever return. */
static char sentinel_storage;
#define SENTINEL ((char *)&sentinel_storage)

/* Runs a named function that must succeed; returns its response (free it
 * with tb_string_free). */
static char *named_ok(named_call call, const char *name, const TbClient *client,
                      const char *request) {
    char *response = NULL, *error = NULL;
    TbStatus status = call(client, request, NULL, &response, &error);
    if (status != TB_STATUS_OK)
        TB_FAIL("%s %s: %s: %s", name, request, tb_status_name(status), or_none(error));
    CHECK(response != NULL, "%s gave no response", name);
    CHECK(error == NULL, "%s wrote error_out on success", name);
    return response;
}
#define NAMED_OK(call, client, request) named_ok((call), #call, (client), (request))

/* Runs a named function that must fail with `want`, naming `mention` (NULL:
 * no check); checks that response_out stays untouched. */
static void named_error(named_call call, const char *name, const TbClient *client,
                        const char *request, TbStatus want, const char *mention) {
    char *response = SENTINEL, *error = NULL;
    char kind[96];
    TbStatus status = call(client, request, NULL, &response, &error);
    CHECK(status == want, "%s %s: status %s, wanted %s; error: %s", name, or_none(request),
          tb_status_name(status), tb_status_name(want), or_none(error));
    snprintf(kind, sizeof kind, "\"kind\":\"%s\"", tb_status_name(want));
    CHECK(json_has(error, kind) && json_has(error, "\"message\":\"") &&
              json_has(error, "\"details\":{"),
          "%s %s: not a %s error object: %s", name, or_none(request), tb_status_name(want),
          or_none(error));
    CHECK(mention == NULL || json_has(error, mention), "%s %s: expected %s in %s", name,
          or_none(request), or_none(mention), error);
    CHECK(response == SENTINEL, "%s wrote response_out on failure", name);
    tb_string_free(error);
}
#define NAMED_ERROR(call, client, request, want, mention)                       \
    named_error((call), #call, (client), (request), (want), (mention))

/* ------------------------------------------------------ call outcomes */

/* One call's outcome, recorded by an async callback or by a thread that made
 * a blocking call; the strings are copies owned here. */
struct outcome {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t caller; /* the thread that made the call */
    int calls;        /* how often the outcome arrived: must end at exactly 1 */
    int on_caller_thread;
    int bad_arguments; /* not exactly one of response/error, matching status */
    TbStatus status;
    char *response;
    char *error;
    double finished_at;
};

static void outcome_init(struct outcome *o) {
    memset(o, 0, sizeof *o);
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->changed, NULL);
    o->caller = pthread_self();
    o->status = TB_STATUS_INTERNAL;
}

static char *copy_or_null(const char *text) {
    char *copy;
    if (text == NULL) return NULL;
    copy = strdup(text);
    CHECK(copy != NULL, "out of memory");
    return copy;
}

static void outcome_record(struct outcome *o, TbStatus status, const char *response,
                           const char *error) {
    pthread_mutex_lock(&o->lock);
    o->calls += 1;
    if (o->calls == 1) {
        o->status = status;
        o->response = copy_or_null(response);
        o->error = copy_or_null(error);
        o->on_caller_thread = pthread_equal(pthread_self(), o->caller);
        o->bad_arguments = (status == TB_STATUS_OK) != (response != NULL) ||
                           (status == TB_STATUS_OK) == (error != NULL);
        o->finished_at = now_seconds();
    }
    pthread_cond_broadcast(&o->changed);
    pthread_mutex_unlock(&o->lock);
}

/* A TbCallCallback; user_data is the struct outcome. The strings are lent:
 * copied, never freed. */
static void outcome_callback(void *user_data, TbStatus status, const char *response_json,
                             const char *error_json) {
    outcome_record((struct outcome *)user_data, status, response_json, error_json);
}

/* Waits until the outcome arrived or `seconds` passed; returns arrived. */
static int outcome_wait(struct outcome *o, double seconds) {
    int arrived;
    struct timespec until = deadline_after(seconds);
    pthread_mutex_lock(&o->lock);
    while (o->calls == 0) {
        if (pthread_cond_timedwait(&o->changed, &o->lock, &until) != 0) break;
    }
    arrived = o->calls > 0;
    pthread_mutex_unlock(&o->lock);
    return arrived;
}

/* Waits (at most `seconds`) for an async callback and checks the callback
 * contract: once, on a library thread, with the string its status says. */
static void outcome_wait_callback(struct outcome *o, double seconds, const char *what) {
    CHECK(outcome_wait(o, seconds), "%s: no callback within %.0fs", what, seconds);
    pthread_mutex_lock(&o->lock);
    CHECK(o->calls == 1, "%s: callback ran %d times", what, o->calls);
    CHECK(!o->on_caller_thread, "%s: callback ran on the caller's thread", what);
    CHECK(!o->bad_arguments, "%s: callback got status %s with response %s, error %s", what,
          tb_status_name(o->status), or_none(o->response), or_none(o->error));
    pthread_mutex_unlock(&o->lock);
}

/* Checks once more that nothing called back twice, then frees the copies. */
static void outcome_destroy(struct outcome *o) {
    pthread_mutex_lock(&o->lock);
    CHECK(o->calls == 1, "the outcome arrived %d times", o->calls);
    pthread_mutex_unlock(&o->lock);
    free(o->response);
    free(o->error);
    pthread_mutex_destroy(&o->lock);
    pthread_cond_destroy(&o->changed);
}

/* A blocking call made on a thread of its own, so that this thread can
 * cancel it. */
struct blocking_call {
    named_call call;
    const TbClient *client;
    const TbCancelToken *token;
    char request[512];
    struct outcome outcome;
    pthread_t thread;
};

static void *blocking_call_main(void *arg) {
    struct blocking_call *b = (struct blocking_call *)arg;
    char *response = NULL, *error = NULL;
    TbStatus status = b->call(b->client, b->request, b->token, &response, &error);
    outcome_record(&b->outcome, status, response, error);
    tb_string_free(response);
    tb_string_free(error);
    return NULL;
}

static void blocking_call_start(struct blocking_call *b, named_call call,
                                const TbClient *client, const TbCancelToken *token,
                                const char *request) {
    memset(b, 0, sizeof *b);
    b->call = call;
    b->client = client;
    b->token = token;
    snprintf(b->request, sizeof b->request, "%s", request);
    outcome_init(&b->outcome);
    CHECK(pthread_create(&b->thread, NULL, blocking_call_main, b) == 0, "pthread_create");
}

static void blocking_call_join(struct blocking_call *b) {
    pthread_join(b->thread, NULL);
    outcome_destroy(&b->outcome);
}

/* ------------------------------------------------------------ helpers */

static void signal_workflow(const TbClient *client, const char *workflow_id,
                            const char *signal_name, const char *args) {
    char request[512];
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"signal_name\":\"%s\",\"args\":%s}", workflow_id,
             signal_name, args);
    tb_string_free(NAMED_OK(tb_workflow_signal, client, request));
}

/* The workflow's result must be `want` (a compact JSON value). */
static void check_result(const TbClient *client, const char *workflow_id, const char *want) {
    char needle[512];
    char *response = NULL, *error = NULL;
    TbStatus status = get_result(client, workflow_id, "60s", &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    snprintf(needle, sizeof needle, "\"result\":%s", want);
    CHECK_HAS(response, needle);
    tb_string_free(response);
}

/* The workflow must end with `want`, its error naming `mention`. */
static void check_result_error(const TbClient *client, const char *workflow_id, TbStatus want,
                               const char *mention) {
    char *response = SENTINEL, *error = NULL;
    TbStatus status = get_result(client, workflow_id, "60s", &response, &error);
    CHECK_ERROR(status, want, error, mention);
    CHECK(response == SENTINEL, "response_out written on failure");
    tb_string_free(error);
}

/* Polls a query until its answer contains `needle` (signals are handled
 * asynchronously by the worker), for at most `seconds`. */
static void wait_for_query_answer(const TbClient *client, const char *workflow_id,
                                  const char *query_type, const char *needle, double seconds) {
    char request[256];
    double deadline = now_seconds() + seconds;
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\",\"query_type\":\"%s\"}",
             workflow_id, query_type);
    for (;;) {
        char *response = NAMED_OK(tb_workflow_query, client, request);
        int found = json_has(response, needle);
        CHECK(found || now_seconds() < deadline, "query %s of %s still answers %s, wanted %s",
              query_type, workflow_id, response, needle);
        tb_string_free(response);
        if (found) return;
        sleep_seconds(0.2);
    }
}

/* Polls count_workflows until `query` counts `want` executions, for at most
 * VISIBILITY_SECONDS (visibility is eventually consistent). */
static void wait_for_count(const TbClient *client, const char *query, long long want) {
    char request[512];
    double deadline = now_seconds() + VISIBILITY_SECONDS;
    snprintf(request, sizeof request, "{\"query\":\"%s\"}", query);
    for (;;) {
        long long count = -1;
        char *response = NAMED_OK(tb_workflows_count, client, request);
        CHECK(json_integer_field(response, "count", &count), "no count in %s", response);
        CHECK_HAS(response, "\"groups\":[]");
        tb_string_free(response);
        if (count == want) return;
        CHECK(now_seconds() < deadline, "%s counts %lld, not %lld, after %.0fs", query, count,
              want, VISIBILITY_SECONDS);
        sleep_seconds(0.2);
    }
}

/* ------------------------------------------------------------- update */

static void test_update_result_rejected_unknown(const TbClient *client) {
    char workflow_id[128], request[512], update_id[64];
    char *response;

    unique_id("update", workflow_id, sizeof workflow_id);
    start_workflow(client, "SignalQueryWorkflow", workflow_id, "[]");

    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"update_name\":\"set_values\",\"args\":[[1,2,3]]}",
             workflow_id);
    response = NAMED_OK(tb_workflow_execute_update, client, request);
    CHECK_HAS(response, "\"result\":3");
    CHECK(json_string_field(response, "update_id", update_id, sizeof update_id) &&
              strlen(update_id) == 36,
          "no generated update ID in %s", response);
    tb_string_free(response);
    wait_for_query_answer(client, workflow_id, "values", "\"result\":[1,2,3]", 10.0);

    /* Rejected by its validator: the rejection is the update's outcome. */
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"update_name\":\"set_values\",\"args\":[\"not a list\"]}",
             workflow_id);
    {
        char *error = NULL;
        TbStatus status;
        response = SENTINEL;
        status = tb_workflow_execute_update(client, request, NULL, &response, &error);
        CHECK_ERROR(status, TB_STATUS_UPDATE_FAILED, error, "expects a list");
        CHECK(response == SENTINEL, "response_out written on failure");
        CHECK_HAS(error, "\"update_name\":\"set_values\"");
        CHECK_HAS(error, "\"update_id\":\"");
        CHECK_HAS(error, "\"failure\":{");
        tb_string_free(error);
    }

    /* No handler of that name. */
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"update_name\":\"no_such_update\"}", workflow_id);
    NAMED_ERROR(tb_workflow_execute_update, client, request, TB_STATUS_UPDATE_FAILED,
                "no_such_update");

    /* An update ID the workflow never saw. */
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"update_id\":\"no-such-update-id\"}", workflow_id);
    NAMED_ERROR(tb_workflow_get_update_result, client, request, TB_STATUS_NOT_FOUND,
                "no-such-update-id");

    /* Neither changed the workflow's state. */
    wait_for_query_answer(client, workflow_id, "values", "\"result\":[1,2,3]", 10.0);
    signal_workflow(client, workflow_id, "finish", "[]");
    check_result(client, workflow_id, "[1,2,3]");
    printf("ok - execute_update returns the handler's result; a rejected or unknown update "
           "gives update_failed; an unknown update ID not_found\n");
}

static void test_update_accepted_then_result(const TbClient *client) {
    char workflow_id[128], request[512], update_id[128], answered_id[128];
    char *response;
    struct outcome later;

    unique_id("update-accepted", workflow_id, sizeof workflow_id);
    unique_id("update-id", update_id, sizeof update_id);
    start_workflow(client, "HandlerFailuresWorkflow", workflow_id, "[]");

    /* Accepted long before the handler's two-second timer fires. */
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"update_name\":\"slow_update\",\"args\":[2],"
             "\"update_id\":\"%s\",\"wait_for_stage\":\"accepted\"}",
             workflow_id, update_id);
    response = NAMED_OK(tb_workflow_execute_update, client, request);
    CHECK(json_string_field(response, "update_id", answered_id, sizeof answered_id) &&
              strcmp(answered_id, update_id) == 0,
          "update ID in %s, sent %s", response, update_id);
    CHECK(!json_has(response, "\"result\""), "only accepted, yet a result: %s", response);
    tb_string_free(response);

    /* Its result, waited for asynchronously. */
    outcome_init(&later);
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\",\"update_id\":\"%s\"}",
             workflow_id, update_id);
    CHECK_STATUS(tb_workflow_get_update_result_async(client, request, NULL, outcome_callback,
                                                     &later),
                 TB_STATUS_OK, "(scheduling)");
    outcome_wait_callback(&later, 60.0, "get_update_result_async");
    CHECK_STATUS(later.status, TB_STATUS_OK, later.error);
    CHECK_HAS(later.response, "\"result\":\"slept 2.0\"");
    CHECK(json_string_field(later.response, "update_id", answered_id, sizeof answered_id) &&
              strcmp(answered_id, update_id) == 0,
          "update ID in %s, sent %s", later.response, update_id);

    /* Blocking, once more: the same outcome, at once. */
    response = NAMED_OK(tb_workflow_get_update_result, client, request);
    CHECK_HAS(response, "\"result\":\"slept 2.0\"");
    tb_string_free(response);

    /* Accepted, then failed by its handler: the failure chain comes along. */
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"update_name\":\"fail_update\","
             "\"args\":[\"update went wrong\"]}",
             workflow_id);
    {
        char *error = NULL;
        TbStatus status = tb_workflow_execute_update(client, request, NULL, NULL, &error);
        CHECK_ERROR(status, TB_STATUS_UPDATE_FAILED, error, "update went wrong");
        CHECK_HAS(error, "UpdateFailure");
        CHECK_HAS(error, "update root cause");
        CHECK_HAS(error, "\"update_name\":\"fail_update\"");
        tb_string_free(error);
    }

    signal_workflow(client, workflow_id, "finish", "[]");
    check_result(client, workflow_id, "\"finished\"");
    outcome_destroy(&later);
    printf("ok - execute_update waiting only for acceptance, then get_update_result "
           "(async and blocking); a failing handler gives update_failed with its chain\n");
}

/* -------------------------------------------------------------- query */

static void test_query_failed_and_rejected(const TbClient *client) {
    char workflow_id[128], request[512];
    char *response, *error = NULL;
    TbStatus status;

    unique_id("query", workflow_id, sizeof workflow_id);
    start_workflow(client, "SignalQueryWorkflow", workflow_id, "[]");
    signal_workflow(client, workflow_id, "add", "[\"v\"]");

    /* No handler for the query type. */
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"query_type\":\"no_such_query\"}", workflow_id);
    status = tb_workflow_query(client, request, NULL, NULL, &error);
    CHECK_ERROR(status, TB_STATUS_QUERY_FAILED, error, "no_such_query");
    CHECK_HAS(error, "\"query_type\":\"no_such_query\"");
    CHECK_HAS(error, workflow_id);
    tb_string_free(error);
    error = NULL;

    signal_workflow(client, workflow_id, "finish", "[]");
    check_result(client, workflow_id, "[\"v\"]");

    /* Closed: a reject condition that allows completed workflows answers... */
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"query_type\":\"values\","
             "\"reject_condition\":\"not_completed_cleanly\"}",
             workflow_id);
    response = NAMED_OK(tb_workflow_query, client, request);
    CHECK_HAS(response, "\"result\":[\"v\"]");
    tb_string_free(response);

    /* ...one that allows only open workflows refuses, naming the status. */
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"query_type\":\"values\",\"reject_condition\":\"not_open\"}",
             workflow_id);
    status = tb_workflow_query(client, request, NULL, NULL, &error);
    CHECK_ERROR(status, TB_STATUS_QUERY_REJECTED, error, "\"status\":\"completed\"");
    CHECK_HAS(error, workflow_id);
    tb_string_free(error);
    printf("ok - a query without a handler gives query_failed; a reject condition on a "
           "closed workflow gives query_rejected\n");
}

/* --------------------------------------------------- signal-with-start */

static void test_signal_with_start(const TbClient *client) {
    char workflow_id[128], request[1024], run_id[64], second_run_id[64];
    const char *queue = test_env("TB_TASK_QUEUE");
    char *response;

    unique_id("signal-with-start", workflow_id, sizeof workflow_id);
    snprintf(request, sizeof request,
             "{\"workflow_type\":\"SignalQueryWorkflow\",\"task_queue\":\"%s\","
             "\"workflow_id\":\"%s\",\"start_signal\":\"add\",\"start_signal_args\":[\"first\"]}",
             queue, workflow_id);
    response = NAMED_OK(tb_workflow_start, client, request);
    CHECK_HAS(response, "\"started\":true");
    CHECK(json_string_field(response, "run_id", run_id, sizeof run_id), "no run_id in %s",
          response);
    tb_string_free(response);

    /* The same again: the running workflow is signaled, not started anew. */
    snprintf(request, sizeof request,
             "{\"workflow_type\":\"SignalQueryWorkflow\",\"task_queue\":\"%s\","
             "\"workflow_id\":\"%s\",\"start_signal\":\"add\",\"start_signal_args\":[\"second\"]}",
             queue, workflow_id);
    response = NAMED_OK(tb_workflow_start, client, request);
    CHECK_HAS(response, "\"started\":false");
    CHECK(json_string_field(response, "run_id", second_run_id, sizeof second_run_id) &&
              strcmp(run_id, second_run_id) == 0,
          "signaled run %s, started %s", response, run_id);
    tb_string_free(response);

    wait_for_query_answer(client, workflow_id, "values", "\"result\":[\"first\",\"second\"]",
                          20.0);
    signal_workflow(client, workflow_id, "finish", "[]");
    check_result(client, workflow_id, "[\"first\",\"second\"]");

    /* Signal arguments without the signal's name. */
    snprintf(request, sizeof request,
             "{\"workflow_type\":\"SignalQueryWorkflow\",\"task_queue\":\"%s\","
             "\"start_signal_args\":[1]}",
             queue);
    NAMED_ERROR(tb_workflow_start, client, request, TB_STATUS_INVALID_ARGUMENT, "start_signal");
    printf("ok - signal-with-start starts once, then signals the running workflow\n");
}

/* --------------------------------------------------------- visibility */

static void test_list_pages_and_count(const TbClient *client) {
    enum { WORKFLOWS = 3 };
    char prefix[96], ids[WORKFLOWS][128], query[256], request[4096], token[2048];
    int seen[WORKFLOWS] = {0};
    int pages = 0, listed = 0, i;
    struct outcome counted;
    long long count = -1;

    unique_id("listed", prefix, sizeof prefix);
    for (i = 0; i < WORKFLOWS; i++) {
        char args[32];
        snprintf(ids[i], sizeof ids[i], "%s-%d", prefix, i);
        snprintf(args, sizeof args, "[\"n%d\"]", i);
        start_workflow(client, "MySimpleWorkflow", ids[i], args);
    }
    for (i = 0; i < WORKFLOWS; i++) {
        char want[32];
        snprintf(want, sizeof want, "\"Hello, n%d!\"", i);
        check_result(client, ids[i], want);
    }
    snprintf(query, sizeof query,
             "WorkflowId STARTS_WITH '%s' AND ExecutionStatus = 'Completed'", prefix);
    wait_for_count(client, query, WORKFLOWS);

    /* Two per page: the three take two pages, the last with a null token. */
    token[0] = '\0';
    for (;;) {
        char *page, *at;
        if (token[0])
            snprintf(request, sizeof request,
                     "{\"query\":\"%s\",\"page_size\":2,\"next_page_token\":\"%s\"}", query,
                     token);
        else
            snprintf(request, sizeof request, "{\"query\":\"%s\",\"page_size\":2}", query);
        page = NAMED_OK(tb_workflows_list, client, request);
        pages += 1;
        CHECK_HAS(page, "\"executions\":[");
        CHECK_HAS(page, "\"next_page_token\":");
        /* Each listed execution is one of ours, completed, seen once. */
        for (at = strstr(page, "\"workflow_id\":\""); at != NULL;
             at = strstr(at + 1, "\"workflow_id\":\"")) {
            char listed_id[128];
            int found = 0;
            CHECK(json_string_field(at, "workflow_id", listed_id, sizeof listed_id),
                  "unreadable workflow_id in %s", page);
            for (i = 0; i < WORKFLOWS; i++) {
                if (strcmp(listed_id, ids[i]) != 0) continue;
                CHECK(!seen[i], "%s listed twice", listed_id);
                seen[i] = found = 1;
            }
            CHECK(found, "page lists %s, not one of ours: %s", listed_id, page);
            listed += 1;
        }
        CHECK(listed <= 2 * pages, "more than two executions on a page: %s", page);
        CHECK_HAS(page, "\"workflow_type\":\"MySimpleWorkflow\"");
        CHECK_HAS(page, "\"status\":\"completed\"");
        if (json_has(page, "\"next_page_token\":null")) {
            token[0] = '\0';
        } else {
            CHECK(json_string_field(page, "next_page_token", token, sizeof token) && token[0],
                  "no next_page_token in %s", page);
        }
        tb_string_free(page);
        if (!token[0]) break;
        CHECK(pages < 10, "paging does not end");
    }
    CHECK(listed == WORKFLOWS, "listed %d executions, started %d", listed, WORKFLOWS);
    CHECK(pages >= 2, "three executions in %d page(s) of two", pages);

    /* The count, asynchronously this time. */
    outcome_init(&counted);
    snprintf(request, sizeof request, "{\"query\":\"WorkflowId STARTS_WITH '%s'\"}", prefix);
    CHECK_STATUS(tb_workflows_count_async(client, request, NULL, outcome_callback, &counted),
                 TB_STATUS_OK, "(scheduling)");
    outcome_wait_callback(&counted, 30.0, "count_async");
    CHECK_STATUS(counted.status, TB_STATUS_OK, counted.error);
    CHECK(json_integer_field(counted.response, "count", &count) && count == WORKFLOWS,
          "count %s", counted.response);
    outcome_destroy(&counted);

    /* A query the server cannot read names what it could not read. */
    NAMED_ERROR(tb_workflows_count, client, "{\"query\":\"NoSuchAttribute = 'x'\"}",
                TB_STATUS_INVALID_ARGUMENT, "NoSuchAttribute");
    printf("ok - list_workflows pages through next_page_token (%d pages); count_workflows "
           "(blocking and async)\n", pages);
}

/* ------------------------------------------------------------ history */

/* The history's events are numbered 1..n in order, the first is the start
 * and the last is `last_type`; returns n. */
static int check_history(const char *history, const char *last_type) {
    char event_id[32], event_type[96], last[96] = "";
    const char *at;
    int events = 0;

    CHECK_HAS(history, "{\"events\":[{");
    CHECK(json_string_field(history, "eventType", event_type, sizeof event_type),
          "no eventType in %s", history);
    CHECK(strcmp(event_type, "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED") == 0,
          "first event is %s", event_type);
    CHECK_HAS(history, "\"workflowExecutionStartedEventAttributes\":{");
    for (at = strstr(history, "\"eventId\":\""); at != NULL;
         at = strstr(at + 1, "\"eventId\":\"")) {
        events += 1;
        CHECK(json_string_field(at, "eventId", event_id, sizeof event_id) &&
                  atoi(event_id) == events,
              "event %d has eventId %s", events, event_id);
        CHECK(json_string_field(at, "eventType", last, sizeof last), "event %d has no type",
              events);
    }
    CHECK(strcmp(last, last_type) == 0, "last of %d events is %s, wanted %s", events, last,
          last_type);
    return events;
}

static void test_fetch_history(const TbClient *client) {
    char workflow_id[128], timer_id[128], request[256];
    char *history;
    int events;
    struct outcome waited;

    /* A closed workflow's whole history. */
    unique_id("history", workflow_id, sizeof workflow_id);
    start_workflow(client, "SignalQueryWorkflow", workflow_id, "[]");
    signal_workflow(client, workflow_id, "add", "[{\"k\":\"v\"}]");
    signal_workflow(client, workflow_id, "finish", "[]");
    check_result(client, workflow_id, "[{\"k\":\"v\"}]");
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\"}", workflow_id);
    history = NAMED_OK(tb_workflow_fetch_history, client, request);
    events = check_history(history, "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED");
    CHECK_HAS(history, "\"eventType\":\"EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED\"");
    CHECK_HAS(history, "\"signalName\":\"add\"");
    tb_string_free(history);

    /* Asynchronously, following a running workflow until its close event. */
    unique_id("history-wait", timer_id, sizeof timer_id);
    start_workflow(client, "LongRunningWorkflow", timer_id, "[1]");
    outcome_init(&waited);
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"wait_for_close\":true,\"call_timeout\":\"60s\"}",
             timer_id);
    CHECK_STATUS(tb_workflow_fetch_history_async(client, request, NULL, outcome_callback,
                                                 &waited),
                 TB_STATUS_OK, "(scheduling)");
    outcome_wait_callback(&waited, 60.0, "fetch_history_async");
    CHECK_STATUS(waited.status, TB_STATUS_OK, waited.error);
    check_history(waited.response, "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED");
    CHECK_HAS(waited.response, "\"eventType\":\"EVENT_TYPE_TIMER_FIRED\"");
    outcome_destroy(&waited);
    printf("ok - fetch_history: %d proto-JSON events from WorkflowExecutionStarted to "
           "Completed; async with wait_for_close follows a run to its close\n", events);
}

static void test_cancel_history_waits(const TbClient *client) {
    char workflow_id[128], request[256], status_text[64];
    TbCancelToken *token = tb_cancel_token_new();
    TbCancelToken *async_token = tb_cancel_token_new();
    struct blocking_call blocking;
    struct outcome async_wait;
    double cancelled_at;

    start_long_running(client, "history-cancel", workflow_id, sizeof workflow_id);
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\",\"wait_for_close\":true}",
             workflow_id);

    /* Blocking, on a thread of its own; cancelled from this one. */
    blocking_call_start(&blocking, tb_workflow_fetch_history, client, token, request);
    outcome_init(&async_wait);
    CHECK_STATUS(tb_workflow_fetch_history_async(client, request, async_token,
                                                 outcome_callback, &async_wait),
                 TB_STATUS_OK, "(scheduling)");
    /* Both really wait: still waiting after a second (an assertion, not a
     * sleep to let something happen). */
    CHECK(!outcome_wait(&blocking.outcome, 1.0), "the history wait on a running workflow "
          "returned %s", tb_status_name(blocking.outcome.status));
    CHECK(!outcome_wait(&async_wait, 0.1), "the async history wait on a running workflow "
          "returned %s", tb_status_name(async_wait.status));

    cancelled_at = now_seconds();
    tb_cancel_token_cancel(token);
    CHECK(outcome_wait(&blocking.outcome, PROMPT_SECONDS),
          "blocking wait not abandoned within %.1fs of the cancel", PROMPT_SECONDS);
    CHECK_ERROR(blocking.outcome.status, TB_STATUS_CANCELLED, blocking.outcome.error, NULL);
    CHECK(blocking.outcome.response == NULL, "response on cancel");
    printf("ok - a token cancelled from another thread ends a blocking fetch_history "
           "wait_for_close in %.3fs\n", blocking.outcome.finished_at - cancelled_at);
    blocking_call_join(&blocking);

    /* The async wait had its own token: still waiting. */
    CHECK(!outcome_wait(&async_wait, 0.1), "the async wait ended with the other token: %s",
          tb_status_name(async_wait.status));
    cancelled_at = now_seconds();
    tb_cancel_token_cancel(async_token);
    outcome_wait_callback(&async_wait, PROMPT_SECONDS, "cancelled fetch_history_async");
    CHECK_ERROR(async_wait.status, TB_STATUS_CANCELLED, async_wait.error, NULL);
    printf("ok - a token ends an async fetch_history wait_for_close in %.3fs, calling back "
           "once\n", async_wait.finished_at - cancelled_at);
    outcome_destroy(&async_wait);

    /* Abandoning the waits never touched the workflow. */
    describe_status(client, workflow_id, status_text, sizeof status_text);
    CHECK(strcmp(status_text, "running") == 0, "describe says %s", status_text);
    tb_cancel_token_free(token);
    tb_cancel_token_free(async_token);
    terminate_quietly(client, workflow_id);
}

/* ----------------------------------------- activities completed by ID */

/* The activity ID and run ID that the worker's async_activity published for
 * `workflow_id` (see python_worker.py), once the activity runs. */
static void published_activity(const char *workflow_id, char *activity_id, size_t id_size,
                               char *run_id, size_t run_id_size) {
    char path[1024], text[4096];
    double deadline = now_seconds() + 30.0;
    snprintf(path, sizeof path, "%s/%s.activity.json", test_env("TB_CLEANUP_DIR"),
             workflow_id);
    for (;;) {
        FILE *file = fopen(path, "r");
        if (file != NULL) {
            size_t n = fread(text, 1, sizeof text - 1, file);
            fclose(file);
            text[n] = '\0';
            break;
        }
        CHECK(errno == ENOENT, "%s: %s", path, strerror(errno));
        CHECK(now_seconds() < deadline, "async_activity of %s never started", workflow_id);
        sleep_seconds(0.1);
    }
    CHECK(json_string_field(text, "activity_id", activity_id, id_size), "no activity_id in %s",
          text);
    CHECK(json_string_field(text, "run_id", run_id, run_id_size), "no run_id in %s", text);
}

/* Starts AsyncActivityWorkflow and waits for its activity; writes the
 * request fields that address the activity by ID into `target`. */
static void start_async_activity(const TbClient *client, const char *what, char *workflow_id,
                                 size_t id_size, char *target, size_t target_size) {
    char activity_id[64], run_id[64];
    unique_id(what, workflow_id, id_size);
    start_workflow(client, "AsyncActivityWorkflow", workflow_id, "[]");
    published_activity(workflow_id, activity_id, sizeof activity_id, run_id, sizeof run_id);
    snprintf(target, target_size,
             "\"workflow_id\":\"%s\",\"run_id\":\"%s\",\"activity_id\":\"%s\"", workflow_id,
             run_id, activity_id);
}

static void test_activity_heartbeat_and_complete(const TbClient *client) {
    char workflow_id[128], target[512], request[1024], describe[256];
    char *response;
    struct outcome completed;

    start_async_activity(client, "activity-complete", workflow_id, sizeof workflow_id, target,
                         sizeof target);
    snprintf(request, sizeof request, "{%s,\"details\":[{\"progress\":50}]}", target);
    response = NAMED_OK(tb_activity_heartbeat, client, request);
    CHECK_HAS(response, "\"cancel_requested\":false");
    CHECK_HAS(response, "\"activity_paused\":false");
    CHECK_HAS(response, "\"activity_reset\":false");
    tb_string_free(response);
    /* The heartbeat details are visible on the pending activity. */
    snprintf(describe, sizeof describe, "{\"workflow_id\":\"%s\"}", workflow_id);
    response = NAMED_OK(tb_workflow_describe, client, describe);
    CHECK_HAS(response, "\"heartbeat_details\":[{\"progress\":50}]");
    tb_string_free(response);

    /* Completed asynchronously; the workflow returns the activity's result. */
    outcome_init(&completed);
    snprintf(request, sizeof request, "{%s,\"result\":{\"done\":\"by id\"}}", target);
    CHECK_STATUS(tb_activity_complete_async(client, request, NULL, outcome_callback,
                                            &completed),
                 TB_STATUS_OK, "(scheduling)");
    outcome_wait_callback(&completed, 30.0, "activity_complete_async");
    CHECK_STATUS(completed.status, TB_STATUS_OK, completed.error);
    CHECK(strcmp(completed.response, "{}") == 0, "complete response %s", completed.response);
    outcome_destroy(&completed);
    check_result(client, workflow_id, "{\"done\":\"by id\"}");

    /* Completing it again: the activity is gone. */
    snprintf(request, sizeof request, "{%s,\"result\":1}", target);
    NAMED_ERROR(tb_activity_complete, client, request, TB_STATUS_NOT_FOUND, NULL);
    printf("ok - heartbeat an activity by workflow and activity ID, then complete it "
           "(async); the workflow returns its result\n");
}

static void test_activity_fail(const TbClient *client) {
    char workflow_id[128], target[512], request[1024];
    char *response;

    start_async_activity(client, "activity-fail", workflow_id, sizeof workflow_id, target,
                         sizeof target);
    snprintf(request, sizeof request,
             "{%s,\"failure\":{\"message\":\"external system said no\","
             "\"type\":\"ExternalRefusal\",\"non_retryable\":true,\"details\":[{\"code\":409}]}}",
             target);
    response = NAMED_OK(tb_activity_fail, client, request);
    CHECK(strcmp(response, "{}") == 0, "fail response %s", response);
    tb_string_free(response);
    {
        char *error = NULL;
        TbStatus status = get_result(client, workflow_id, "60s", NULL, &error);
        CHECK_ERROR(status, TB_STATUS_WORKFLOW_FAILED, error, "external system said no");
        CHECK_HAS(error, "\"type\":\"ExternalRefusal\"");
        CHECK_HAS(error, "{\"code\":409}");
        tb_string_free(error);
    }
    printf("ok - fail an activity by ID: the workflow fails with the activity's failure\n");
}

static void test_activity_report_cancellation(const TbClient *client) {
    char workflow_id[128], target[512], request[1024], heartbeat[1024];
    double deadline = now_seconds() + 20.0;
    char *response;

    start_async_activity(client, "activity-cancel", workflow_id, sizeof workflow_id, target,
                         sizeof target);
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\"}", workflow_id);
    tb_string_free(NAMED_OK(tb_workflow_cancel, client, request));

    /* The workflow's cancel reaches the activity on a heartbeat. */
    snprintf(heartbeat, sizeof heartbeat, "{%s}", target);
    for (;;) {
        int requested;
        response = NAMED_OK(tb_activity_heartbeat, client, heartbeat);
        requested = json_has(response, "\"cancel_requested\":true");
        tb_string_free(response);
        if (requested) break;
        CHECK(now_seconds() < deadline, "no cancel_requested on heartbeats of %s", workflow_id);
        sleep_seconds(0.2);
    }
    snprintf(request, sizeof request, "{%s,\"details\":[\"stopped\"]}", target);
    response = NAMED_OK(tb_activity_report_cancellation, client, request);
    CHECK(strcmp(response, "{}") == 0, "report_cancellation response %s", response);
    tb_string_free(response);
    check_result_error(client, workflow_id, TB_STATUS_WORKFLOW_CANCELED, NULL);
    printf("ok - a cancelled workflow's activity sees cancel_requested on a heartbeat; "
           "reporting the cancellation lets the workflow end canceled\n");
}

/* -------------------------------------------------------------- batch */

static void test_batch_terminate(const TbClient *client) {
    enum { WORKFLOWS = 2 };
    char prefix[96], ids[WORKFLOWS][128], query[256], request[512], job_id[128];
    char *response;
    long long number = -1;
    int i;

    unique_id("batch", prefix, sizeof prefix);
    for (i = 0; i < WORKFLOWS; i++) {
        snprintf(ids[i], sizeof ids[i], "%s-%d", prefix, i);
        start_workflow(client, "LongRunningWorkflow", ids[i], "[300]");
    }
    snprintf(query, sizeof query, "WorkflowId STARTS_WITH '%s' AND ExecutionStatus = 'Running'",
             prefix);
    wait_for_count(client, query, WORKFLOWS);

    snprintf(request, sizeof request, "{\"query\":\"%s\",\"reason\":\"c batch test\"}", query);
    response = NAMED_OK(tb_batch_terminate_workflows, client, request);
    CHECK(json_string_field(response, "job_id", job_id, sizeof job_id) && strlen(job_id) == 36,
          "no generated job ID in %s", response);
    tb_string_free(response);

    snprintf(request, sizeof request, "{\"job_id\":\"%s\",\"call_timeout\":\"60s\"}", job_id);
    response = NAMED_OK(tb_batch_wait, client, request);
    CHECK_HAS(response, "\"state\":\"completed\"");
    CHECK_HAS(response, "\"operation_type\":\"terminate_workflow\"");
    CHECK_HAS(response, "\"reason\":\"c batch test\"");
    CHECK(json_integer_field(response, "total_operation_count", &number) &&
              number == WORKFLOWS,
          "total in %s", response);
    CHECK(json_integer_field(response, "complete_operation_count", &number) &&
              number == WORKFLOWS,
          "completed in %s", response);
    CHECK(json_integer_field(response, "failure_operation_count", &number) && number == 0,
          "failures in %s", response);
    tb_string_free(response);
    for (i = 0; i < WORKFLOWS; i++)
        check_result_error(client, ids[i], TB_STATUS_WORKFLOW_TERMINATED, "c batch test");

    NAMED_ERROR(tb_batch_wait, client, "{\"job_id\":\"no-such-job\"}", TB_STATUS_NOT_FOUND,
                "no-such-job");
    printf("ok - batch_terminate_workflows by query, then batch_wait until it completed\n");
}

/* ------------------------------------------------------------- errors */

static void test_unknown_workflow(const TbClient *client) {
    char missing[128], request[512];
    unique_id("never-started", missing, sizeof missing);

    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"update_name\":\"set_values\",\"args\":[[]]}", missing);
    NAMED_ERROR(tb_workflow_execute_update, client, request, TB_STATUS_NOT_FOUND, missing);
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\",\"update_id\":\"u\"}",
             missing);
    NAMED_ERROR(tb_workflow_get_update_result, client, request, TB_STATUS_NOT_FOUND, missing);
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\",\"query_type\":\"values\"}",
             missing);
    NAMED_ERROR(tb_workflow_query, client, request, TB_STATUS_NOT_FOUND, missing);
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\"}", missing);
    NAMED_ERROR(tb_workflow_fetch_history, client, request, TB_STATUS_NOT_FOUND, missing);
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\",\"activity_id\":\"1\"}",
             missing);
    NAMED_ERROR(tb_activity_heartbeat, client, request, TB_STATUS_NOT_FOUND,
                "\"activity_id\":\"1\"");
    NAMED_ERROR(tb_activity_complete, client, request, TB_STATUS_NOT_FOUND, missing);
    printf("ok - update, update result, query, history, heartbeat and complete of an unknown "
           "workflow give not_found\n");
}

/* Each function refuses malformed requests before anything reaches the
 * server, naming the offending field. */
static void test_strict_requests(const TbClient *client) {
    static const struct {
        named_call call;
        const char *name;
        const char *request;
        const char *mention;
    } cases[] = {
#define CASE(call, request, mention) {call, #call, request, mention}
        CASE(tb_workflow_execute_update, "{\"workflow_id\":\"w\",\"update_name\":",
             "not valid JSON"),
        CASE(tb_workflow_execute_update,
             "{\"workflow_id\":\"w\",\"update_name\":\"u\",\"bogus_field\":1}",
             "\"field\":\"bogus_field\""),
        CASE(tb_workflow_execute_update,
             "{\"workflow_id\":\"w\",\"update_name\":\"u\",\"wait_for_stage\":\"admitted\"}",
             "\"field\":\"wait_for_stage\""),
        CASE(tb_workflow_execute_update, "{\"workflow_id\":\"w\"}", "update_name"),
        CASE(tb_workflow_get_update_result, "{\"workflow_id\":\"w\"}", "update_id"),
        CASE(tb_workflow_get_update_result,
             "{\"workflow_id\":\"w\",\"update_id\":\"u\",\"updateid\":\"u\"}",
             "\"field\":\"updateid\""),
        CASE(tb_workflow_query,
             "{\"workflow_id\":\"w\",\"query_type\":\"q\",\"reject_condition\":\"never\"}",
             "\"field\":\"reject_condition\""),
        CASE(tb_workflow_query, "{\"workflow_id\":\"w\",\"query_type\":\"\"}", "query_type"),
        CASE(tb_workflow_start,
             "{\"workflow_type\":\"SignalQueryWorkflow\",\"task_queue\":\"q\","
             "\"start_signal\":\"add\",\"start_signal_args\":\"one\"}",
             "\"field\":\"start_signal_args\""),
        CASE(tb_workflow_fetch_history, "{}", "workflow_id"),
        CASE(tb_workflow_fetch_history, "{\"workflow_id\":\"w\",\"wait_for_close\":\"yes\"}",
             "\"field\":\"wait_for_close\""),
        CASE(tb_workflows_list, "{\"querry\":\"\"}", "\"field\":\"querry\""),
        CASE(tb_workflows_list, "{\"page_size\":-1}", "\"field\":\"page_size\""),
        CASE(tb_workflows_list, "{\"next_page_token\":\"%%%\"}", "next_page_token"),
        CASE(tb_workflows_count, "{\"query\":5}", "\"field\":\"query\""),
        CASE(tb_workflows_count, "{\"call_timeout\":\"soon\"}", "\"field\":\"call_timeout\""),
        CASE(tb_workflows_count, "[]", "must be a JSON object"),
        CASE(tb_activity_heartbeat, "{\"workflow_id\":\"w\"}", "activity_id"),
        CASE(tb_activity_heartbeat,
             "{\"workflow_id\":\"w\",\"activity_id\":\"1\",\"detail\":[1]}",
             "\"field\":\"detail\""),
        CASE(tb_activity_complete, "{\"task_token\":\"%%%\"}", "task_token"),
        CASE(tb_activity_complete,
             "{\"task_token\":\"AAAA\",\"workflow_id\":\"w\",\"activity_id\":\"1\"}",
             "not both"),
        CASE(tb_activity_fail, "{\"workflow_id\":\"w\",\"activity_id\":\"1\"}", "failure"),
        CASE(tb_activity_fail,
             "{\"workflow_id\":\"w\",\"activity_id\":\"1\","
             "\"failure\":{\"message\":\"m\",\"kind\":\"x\"}}",
             "\"field\":\"failure.kind\""),
        CASE(tb_activity_report_cancellation,
             "{\"workflow_id\":\"w\",\"activity_id\":\"1\",\"details\":5}",
             "\"field\":\"details\""),
        CASE(tb_batch_terminate_workflows, "{\"query\":\"WorkflowId = 'x'\"}", "reason"),
        CASE(tb_batch_cancel_workflows, "{\"query\":\"\",\"reason\":\"r\"}", "query"),
        CASE(tb_batch_cancel_workflows,
             "{\"query\":\"WorkflowId = 'x'\",\"reason\":\"r\",\"jobid\":\"j\"}",
             "\"field\":\"jobid\""),
        CASE(tb_batch_wait, "{\"job_id\":\"\"}", "job_id"),
        CASE(tb_batch_wait, "{\"job_id\":7}", "\"field\":\"job_id\""),
#undef CASE
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        named_error(cases[i].call, cases[i].name, client, cases[i].request,
                    TB_STATUS_INVALID_ARGUMENT, cases[i].mention);

    /* NULL arguments, blocking and async (where the callback still fires). */
    NAMED_ERROR(tb_workflows_list, NULL, "{}", TB_STATUS_INVALID_ARGUMENT, "client is NULL");
    NAMED_ERROR(tb_activity_heartbeat, client, NULL, TB_STATUS_INVALID_ARGUMENT,
                "request_json is NULL");
    {
        static const named_call_async async_calls[] = {
            tb_workflow_execute_update_async, tb_workflow_get_update_result_async,
            tb_workflow_fetch_history_async,  tb_workflows_list_async,
            tb_workflows_count_async,         tb_activity_complete_async,
            tb_activity_fail_async,           tb_activity_report_cancellation_async,
            tb_activity_heartbeat_async,      tb_batch_cancel_workflows_async,
            tb_batch_terminate_workflows_async, tb_batch_wait_async,
        };
        struct outcome outcomes[sizeof async_calls / sizeof async_calls[0]];
        for (i = 0; i < sizeof async_calls / sizeof async_calls[0]; i++) {
            outcome_init(&outcomes[i]);
            CHECK_STATUS(async_calls[i](client, "{\"bogus_field\":1}", NULL, outcome_callback,
                                        &outcomes[i]),
                         TB_STATUS_OK, "(scheduling)");
            CHECK(async_calls[i](client, "{}", NULL, NULL, NULL) == TB_STATUS_INVALID_ARGUMENT,
                  "async call %zu accepted a NULL callback", i);
        }
        for (i = 0; i < sizeof async_calls / sizeof async_calls[0]; i++) {
            outcome_wait_callback(&outcomes[i], 10.0, "async argument error");
            CHECK_ERROR(outcomes[i].status, TB_STATUS_INVALID_ARGUMENT, outcomes[i].error,
                        "\"field\":\"bogus_field\"");
            outcome_destroy(&outcomes[i]);
        }
    }
    printf("ok - each new function refuses malformed JSON, unknown fields, wrong types and "
           "missing fields, naming the field (blocking and async)\n");
}

int main(void) {
    TbClient *client = test_connect();
    test_strict_requests(client);
    test_unknown_workflow(client);
    test_update_result_rejected_unknown(client);
    test_update_accepted_then_result(client);
    test_query_failed_and_rejected(client);
    test_signal_with_start(client);
    test_list_pages_and_count(client);
    test_fetch_history(client);
    test_cancel_history_waits(client);
    test_activity_heartbeat_and_complete(client);
    test_activity_fail(client);
    test_activity_report_cancellation(client);
    test_batch_terminate(client);
    tb_client_free(client);
    return 0;
}
