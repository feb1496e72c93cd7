/* Workflow operations against the real dev server and Python SDK worker:
 * start by type name and read the result; read the result from a second
 * process given only the workflow ID; cancel CancellableWorkflow and observe
 * Canceled with its cleanup done; terminate; a failing workflow; a duplicate
 * workflow ID; signal and query; reset a failed workflow. */
#define _GNU_SOURCE
#include "tb_test.h"

#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

static void test_start_and_result(const TbClient *client) {
    char workflow_id[128], request[512], run_id[64], result_run_id[64];
    char *response = NULL, *error = NULL;
    TbStatus status;

    unique_id("simple", workflow_id, sizeof workflow_id);
    start_request(request, sizeof request, "MySimpleWorkflow", workflow_id, "[\"World\"]");
    status = tb_workflow_start(client, request, NULL, &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK(error == NULL, "error_out written on success");
    CHECK_HAS(response, workflow_id);
    CHECK_HAS(response, "\"started\":true");
    CHECK(json_string_field(response, "run_id", run_id, sizeof run_id) && run_id[0],
          "no run_id in %s", response);
    tb_string_free(response);
    response = NULL;

    status = get_result(client, workflow_id, "60s", &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK_HAS(response, "\"result\":\"Hello, World!\"");
    /* The core may not know which run completed ("run_id": null). */
    if (json_string_field(response, "run_id", result_run_id, sizeof result_run_id))
        CHECK(strcmp(run_id, result_run_id) == 0, "result of run %s, started %s",
              result_run_id, run_id);
    tb_string_free(response);
    printf("ok - start MySimpleWorkflow and read its result\n");
}

/* Child mode: given only a workflow ID, connect and print the result. */
static int child_get_result(const char *workflow_id) {
    char *response = NULL, *error = NULL;
    TbClient *client = test_connect();
    TbStatus status;
    status = get_result(client, workflow_id, "60s", &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    printf("%s\n", response);
    tb_string_free(response);
    tb_client_free(client);
    return 0;
}

static void test_result_from_second_process(const TbClient *client) {
    char workflow_id[128], run_id[64], child_run_id[64];
    char output[4096], self[4096];
    char *argv[4];
    int pipe_fds[2], status;
    size_t used = 0;
    ssize_t got;
    pid_t pid;
    posix_spawn_file_actions_t actions;

    unique_id("second-process", workflow_id, sizeof workflow_id);
    /* The workflow sleeps a little, so the child really waits for it. */
    start_workflow_run(client, "EchoWorkflow", workflow_id, "[{\"n\":42,\"s\":\"x\\u00e9\"}]",
                       run_id, sizeof run_id);

    CHECK(pipe(pipe_fds) == 0, "pipe: %s", strerror(errno));
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    argv[0] = (char *)"test_workflow";
    argv[1] = (char *)"--get-result";
    argv[2] = workflow_id;
    argv[3] = NULL;
    /* readlink rather than exec'ing /proc/self/exe itself: under valgrind
     * only readlink names this program (exec would start valgrind's tool). */
    CHECK((got = readlink("/proc/self/exe", self, sizeof self - 1)) > 0, "readlink");
    self[got] = '\0';
    CHECK(posix_spawn(&pid, self, &actions, NULL, argv, environ) == 0, "posix_spawn failed");
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    while ((got = read(pipe_fds[0], output + used, sizeof output - 1 - used)) > 0)
        used += (size_t)got;
    output[used] = '\0';
    close(pipe_fds[0]);
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed (status %d): %s",
          status, output);
    CHECK_HAS(output, "\"result\":{\"n\":42,\"s\":\"x\xc3\xa9\"}");
    CHECK_HAS(output, workflow_id);
    if (json_string_field(output, "run_id", child_run_id, sizeof child_run_id))
        CHECK(strcmp(run_id, child_run_id) == 0, "child saw run %s, started %s",
              child_run_id, run_id);
    printf("ok - a second process reads the result knowing only the workflow ID\n");
}

/* Waits until the workflow runs its long activity, so the cancel arrives
 * while the workflow is busy (as in the Go cancellation sample). */
static void wait_for_pending_activity(const TbClient *client, const char *workflow_id) {
    char request[256];
    double deadline = now_seconds() + 30.0;
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\"}", workflow_id);
    for (;;) {
        char *response = call_ok(client, "describe_workflow", request);
        int started = json_has(response, "\"activity_type\":\"long_activity\"") &&
                      json_has(response, "\"state\":\"started\"");
        tb_string_free(response);
        if (started) return;
        CHECK(now_seconds() < deadline, "long_activity of %s never started", workflow_id);
        sleep_seconds(0.1);
    }
}

static void test_cancel_workflow(const TbClient *client) {
    char workflow_id[128], request[256], path[1024], contents[64], status_text[64];
    char *response = NULL, *error = NULL;
    TbStatus status;
    FILE *file;
    size_t n;

    unique_id("cancellable", workflow_id, sizeof workflow_id);
    start_workflow(client, "CancellableWorkflow", workflow_id, "[]");
    wait_for_pending_activity(client, workflow_id);

    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"reason\":\"test asks to cancel\"}", workflow_id);
    status = tb_workflow_cancel(client, request, NULL, &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK(strcmp(response, "{}") == 0, "cancel response %s", response);
    tb_string_free(response);
    response = NULL;

    status = get_result(client, workflow_id, "60s", &response, &error);
    CHECK_ERROR(status, TB_STATUS_WORKFLOW_CANCELED, error, NULL);
    CHECK(response == NULL, "response_out written on failure");
    tb_string_free(error);

    /* The workflow closed only after its cleanup activity finished. */
    snprintf(path, sizeof path, "%s/%s", test_env("TB_CLEANUP_DIR"), workflow_id);
    file = fopen(path, "r");
    CHECK(file != NULL, "cleanup file %s missing: %s", path, strerror(errno));
    n = fread(contents, 1, sizeof contents - 1, file);
    contents[n] = '\0';
    fclose(file);
    CHECK(strcmp(contents, "cleanup done") == 0, "cleanup file says %s", contents);

    describe_status(client, workflow_id, status_text, sizeof status_text);
    CHECK(strcmp(status_text, "canceled") == 0, "describe says %s", status_text);
    printf("ok - cancel CancellableWorkflow: ends Canceled after its cleanup ran\n");
}

static void test_terminate(const TbClient *client) {
    char workflow_id[128], request[256], status_text[64];
    char *error = NULL;
    TbStatus status;

    start_long_running(client, "terminate", workflow_id, sizeof workflow_id);
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"reason\":\"stop\",\"details\":[1,\"two\"]}",
             workflow_id);
    status = tb_workflow_terminate(client, request, NULL, NULL, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);

    status = get_result(client, workflow_id, "30s", NULL, &error);
    CHECK_ERROR(status, TB_STATUS_WORKFLOW_TERMINATED, error, NULL);
    tb_string_free(error);
    describe_status(client, workflow_id, status_text, sizeof status_text);
    CHECK(strcmp(status_text, "terminated") == 0, "describe says %s", status_text);
    printf("ok - terminate a running workflow\n");
}

static void test_failing_workflow(const TbClient *client) {
    char workflow_id[128];
    char *error = NULL;
    TbStatus status;

    unique_id("failing", workflow_id, sizeof workflow_id);
    start_workflow(client, "FailingWorkflow", workflow_id, "[\"boom from C\"]");
    status = get_result(client, workflow_id, "60s", NULL, &error);
    CHECK_ERROR(status, TB_STATUS_WORKFLOW_FAILED, error, "boom from C");
    CHECK_HAS(error, "MyFailure");
    CHECK_HAS(error, "root cause");
    tb_string_free(error);
    printf("ok - a failing workflow gives workflow_failed with its failure chain\n");
}

/* What an async reset's callback hands back, and when. */
struct reset_reply {
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    int done;
    TbStatus status;
    char run_id[64];
    char error[512];
};

static void on_reset(void *user_data, TbStatus status, const char *response,
                     const char *error) {
    struct reset_reply *reply = user_data;
    pthread_mutex_lock(&reply->lock);
    reply->status = status;
    if (response != NULL) json_string_field(response, "run_id", reply->run_id, sizeof reply->run_id);
    if (error != NULL) snprintf(reply->error, sizeof reply->error, "%s", error);
    reply->done = 1;
    pthread_cond_signal(&reply->done_cond);
    pthread_mutex_unlock(&reply->lock);
}

static void test_reset(const TbClient *client) {
    char workflow_id[128], run_id[64], new_run_id[64], request[512];
    char *response = NULL, *error = NULL;
    struct reset_reply reply = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0,
                                TB_STATUS_OK, "", ""};
    struct timespec deadline = deadline_after(60);
    TbStatus status;

    unique_id("reset", workflow_id, sizeof workflow_id);
    start_workflow_run(client, "FailsOnceWorkflow", workflow_id, "[]", run_id, sizeof run_id);
    status = get_result(client, workflow_id, "60s", NULL, &error);
    CHECK_ERROR(status, TB_STATUS_WORKFLOW_FAILED, error, "the activity failed");
    tb_string_free(error);
    error = NULL;

    /* Both ways of naming the reset point: refused, naming the field. */
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"reset_type\":\"first_workflow_task\",\"event_id\":4}",
             workflow_id);
    status = tb_workflow_reset(client, request, NULL, &response, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "event_id");
    CHECK(response == NULL, "response_out written on failure");
    tb_string_free(error);
    error = NULL;

    /* The async form: back to the first workflow task, a new run. */
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"run_id\":\"%s\",\"reset_type\":\"first_workflow_task\","
             "\"reason\":\"from C\"}",
             workflow_id, run_id);
    status = tb_workflow_reset_async(client, request, NULL, on_reset, &reply);
    CHECK_STATUS(status, TB_STATUS_OK, NULL);
    pthread_mutex_lock(&reply.lock);
    while (!reply.done)
        if (pthread_cond_timedwait(&reply.done_cond, &reply.lock, &deadline) == ETIMEDOUT)
            TB_FAIL("tb_workflow_reset_async never called back");
    pthread_mutex_unlock(&reply.lock);
    CHECK_STATUS(reply.status, TB_STATUS_OK, reply.error);
    CHECK(reply.run_id[0] && strcmp(reply.run_id, run_id) != 0, "reset gave run %s (was %s)",
          reply.run_id, run_id);
    snprintf(new_run_id, sizeof new_run_id, "%s", reply.run_id);

    /* The new run ran the workflow again and completed. */
    status = get_result(client, workflow_id, "60s", &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK_HAS(response, "\"result\":\"recovered\"");
    tb_string_free(response);
    printf("ok - reset a failed workflow (run %s) and it completes\n", new_run_id);
}

static void test_already_started(const TbClient *client) {
    char workflow_id[128], request[512], run_id[64];
    char *response = NULL, *error = NULL;
    TbStatus status;

    unique_id("duplicate", workflow_id, sizeof workflow_id);
    start_workflow_run(client, "LongRunningWorkflow", workflow_id, "[600]", run_id, sizeof run_id);

    /* The same start again. */
    start_request(request, sizeof request, "LongRunningWorkflow", workflow_id, "[600]");
    status = tb_workflow_start(client, request, NULL, &response, &error);
    CHECK_ERROR(status, TB_STATUS_ALREADY_STARTED, error, run_id);
    CHECK(response == NULL, "response_out written on failure");
    tb_string_free(error);
    terminate_quietly(client, workflow_id);
    printf("ok - a duplicate workflow ID gives already_started with the running run ID\n");
}

static void test_signal_and_query(const TbClient *client) {
    char workflow_id[128], request[256];
    char *response = NULL, *error = NULL;
    TbStatus status;

    unique_id("signal-query", workflow_id, sizeof workflow_id);
    start_workflow(client, "SignalQueryWorkflow", workflow_id, "[]");
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"signal_name\":\"add\",\"args\":[1]}", workflow_id);
    status = tb_workflow_signal(client, request, NULL, NULL, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"signal_name\":\"add\",\"args\":[\"two\"]}",
             workflow_id);
    status = tb_workflow_signal(client, request, NULL, NULL, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);

    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\",\"query_type\":\"values\"}",
             workflow_id);
    status = tb_workflow_query(client, request, NULL, &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK_HAS(response, "\"result\":[1,\"two\"]");
    tb_string_free(response);
    response = NULL;

    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"query_type\":\"no_such_query\"}", workflow_id);
    status = tb_workflow_query(client, request, NULL, &response, &error);
    CHECK_ERROR(status, TB_STATUS_QUERY_FAILED, error, NULL);
    tb_string_free(error);
    error = NULL;

    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\",\"signal_name\":\"finish\"}",
             workflow_id);
    status = tb_workflow_signal(client, request, NULL, NULL, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    status = get_result(client, workflow_id, "60s", &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK_HAS(response, "\"result\":[1,\"two\"]");
    tb_string_free(response);
    printf("ok - signal and query a workflow; an unknown query gives query_failed\n");
}

#define TRACEPARENT "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

/* Counts the occurrences of `needle` in `text`. */
static int count_of(const char *text, const char *needle) {
    int n = 0;
    for (const char *at = strstr(text, needle); at != NULL; at = strstr(at + 1, needle)) n++;
    return n;
}

static void test_headers_and_trace_context(const TbClient *client) {
    char workflow_id[128], request[1024];
    char *response = NULL, *error = NULL;
    TbStatus status;

    unique_id("headers", workflow_id, sizeof workflow_id);
    snprintf(request, sizeof request,
             "{\"workflow_type\":\"SignalQueryWorkflow\",\"task_queue\":\"%s\","
             "\"workflow_id\":\"%s\",\"header\":{\"tenant\":\"acme\"},"
             "\"trace_context\":{\"traceparent\":\"" TRACEPARENT "\",\"tracestate\":\"tb=1\"}}",
             test_env("TB_TASK_QUEUE"), workflow_id);
    tb_string_free(call_ok(client, "start_workflow", request));
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"signal_name\":\"finish\","
             "\"trace_context\":{\"traceparent\":\"" TRACEPARENT "\"}}",
             workflow_id);
    status = tb_workflow_signal(client, request, NULL, NULL, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    status = get_result(client, workflow_id, "60s", &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    tb_string_free(response);

    /* The server recorded both headers as json/plain payloads, the trace
     * context under the key the SDKs' tracing interceptors read. */
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\"}", workflow_id);
    response = call_ok(client, "fetch_history", request);
    CHECK_HAS(response, "\"tenant\":{\"data\":\"ImFjbWUi\","
                        "\"metadata\":{\"encoding\":\"anNvbi9wbGFpbg==\"}}");
    /* base64 of {"traceparent":TRACEPARENT,"tracestate":"tb=1"} */
    CHECK_HAS(response, "\"data\":\"eyJ0cmFjZXBhcmVudCI6IjAwLTBhZjc2NTE5MTZjZDQzZGQ4NDQ4ZWIy"
                        "MTFjODAzMTljLWI3YWQ2YjcxNjkyMDMzMzEtMDEiLCJ0cmFjZXN0YXRlIjoidGI9MSJ9\"");
    CHECK(count_of(response, "\"_tracer-data\"") == 2, "want the trace header on the start "
          "and on the signal event: %s", response);
    tb_string_free(response);

    /* Bad trace contexts and headers are refused before anything is sent. */
    const char *bad[][2] = {
        {"\"trace_context\":{\"traceparent\":\"00-abc-def-01\"}", "trace_context.traceparent"},
        {"\"trace_context\":{\"traceparent\":\"" TRACEPARENT "\",\"flags\":1}", "flags"},
        {"\"trace_context\":\"" TRACEPARENT "\"", "trace_context"},
        {"\"header\":[1]", "header"},
        {"\"header\":{\"_tracer-data\":{}},\"trace_context\":{\"traceparent\":\"" TRACEPARENT "\"}",
         "not both"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(request, sizeof request,
                 "{\"workflow_id\":\"%s\",\"query_type\":\"values\",%s}", workflow_id, bad[i][0]);
        status = tb_workflow_query(client, request, NULL, &response, &error);
        CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, bad[i][1]);
        tb_string_free(error);
        error = NULL;
    }
    printf("ok - header and trace_context reach the history; bad ones are named\n");
}

int main(int argc, char **argv) {
    TbClient *client;
    if (argc == 3 && strcmp(argv[1], "--get-result") == 0) return child_get_result(argv[2]);

    CHECK(strlen(tb_version()) > 0, "empty version");
    client = test_connect();
    test_start_and_result(client);
    test_result_from_second_process(client);
    test_cancel_workflow(client);
    test_terminate(client);
    test_failing_workflow(client);
    test_already_started(client);
    test_reset(client);
    test_signal_and_query(client);
    test_headers_and_trace_context(client);
    tb_client_free(client);
    return 0;
}
