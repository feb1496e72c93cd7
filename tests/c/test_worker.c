/* Activity workers in C: a temporalio workflow (CallActivityWorkflow on the
 * harness's queue) calls activities that C callbacks serve on a queue of
 * their own. Results and the task's info reach the workflow and the callback;
 * failures are retried by the workflow's policy, or end it with our type and
 * details; unknown types fail naming the known ones; a callback that never
 * answers is given up on after its timeout, and a late answer is refused; a
 * task freed unanswered fails; bad input gets clear errors; `release` runs
 * once. */
#include "tb_test.h"

#include <pthread.h>

static TbClient *client;

/* Counts `release` calls per registration. */
static int released[4];

static void count_release(void *user_data) { released[*(int *)user_data]++; }

/* Answers `task` with `answer` (JSON) and frees it, failing the test on error. */
static void answer_and_free(TbActivityTask *task, const char *answer) {
    char *error = NULL;
    TbStatus status = tb_activity_task_answer(task, answer, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    tb_activity_task_free(task);
}

/* "Echo": answers with the arguments and attempt it saw, from inside the
 * callback. */
static void echo(void *user_data, TbActivityTask *task) {
    const char *info = tb_activity_task_info(task);
    char answer[2048];
    const char *args = strstr(info, "\"args\":");
    const char *end;
    long long attempt = 0;
    (void)user_data;
    CHECK(args != NULL, "no args in %s", info);
    end = strstr(args, "],");
    CHECK(end != NULL, "args not a list in %s", info);
    CHECK(json_integer_field(info, "attempt", &attempt), "no attempt in %s", info);
    CHECK_HAS(info, "\"activity_type\":\"Echo\"");
    CHECK_HAS(info, "\"workflow_type\":\"CallActivityWorkflow\"");
    snprintf(answer, sizeof answer, "{\"result\":{\"attempt\":%lld,%.*s]}}", attempt,
             (int)(end - args), args);
    answer_and_free(task, answer);
}

/* "Flaky": fails (retryably) until attempt 3, then answers the attempt. */
static void flaky(void *user_data, TbActivityTask *task) {
    long long attempt = 0;
    char answer[256];
    (void)user_data;
    CHECK(json_integer_field(tb_activity_task_info(task), "attempt", &attempt), "no attempt");
    if (attempt < 3)
        snprintf(answer, sizeof answer,
                 "{\"failure\":{\"message\":\"attempt %lld failed\",\"type\":\"Transient\"}}",
                 attempt);
    else
        snprintf(answer, sizeof answer, "{\"result\":%lld}", attempt);
    answer_and_free(task, answer);
}

/* "Refuse": a non-retryable failure with details. */
static void refuse(void *user_data, TbActivityTask *task) {
    (void)user_data;
    answer_and_free(task, "{\"failure\":{\"message\":\"the order is invalid\","
                          "\"type\":\"InvalidOrder\",\"non_retryable\":true,"
                          "\"details\":[{\"order\":7}]}}");
}

/* "Silent": keeps its task and never answers. */
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static TbActivityTask *kept;

static void silent(void *user_data, TbActivityTask *task) {
    (void)user_data;
    pthread_mutex_lock(&kept_lock);
    kept = task;
    pthread_mutex_unlock(&kept_lock);
}

/* "Forgetful": frees its task unanswered. */
static void forgetful(void *user_data, TbActivityTask *task) {
    (void)user_data;
    tb_activity_task_free(task);
}

/* Starts CallActivityWorkflow calling `activity` on `queue` with `extra`
 * fields (JSON object members, may be empty); the workflow ID goes to `id`. */
static void call_activity(const char *queue, const char *activity, const char *extra,
                          char *id, size_t size) {
    char args[1024];
    unique_id(activity, id, size);
    snprintf(args, sizeof args, "[{\"activity\":\"%s\",\"task_queue\":\"%s\"%s%s}]",
             activity, queue, extra[0] ? "," : "", extra);
    start_workflow(client, "CallActivityWorkflow", id, args);
}

static char *result_ok(const char *id) {
    char *response = NULL, *error = NULL;
    TbStatus status = get_result(client, id, "60s", &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    return response;
}

static char *result_failed(const char *id) {
    char *response = NULL, *error = NULL;
    TbStatus status = get_result(client, id, "60s", &response, &error);
    CHECK_STATUS(status, TB_STATUS_WORKFLOW_FAILED, error);
    return error;
}

static TbWorker *new_worker(const char *queue, const char *extra) {
    char options[512];
    char *error = NULL;
    TbWorker *worker = NULL;
    snprintf(options, sizeof options, "{\"task_queue\":\"%s\"%s}", queue, extra);
    TbStatus status = tb_worker_new(client, options, &worker, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    return worker;
}

static void register_ok(TbWorker *worker, const char *type, TbActivityCallback callback,
                        int *counter) {
    char *error = NULL;
    TbStatus status = tb_worker_register(worker, type, callback, counter,
                                         counter ? count_release : NULL, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
}

static void start_ok(TbWorker *worker) {
    char *error = NULL;
    TbStatus status = tb_worker_start(worker, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
}

static void bad_input(void) {
    char *error = NULL;
    TbWorker *worker = NULL;
    TbStatus status;
    static int slot = 3;

    status = tb_worker_new(NULL, "{\"task_queue\":\"q\"}", &worker, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "client is NULL");
    tb_string_free(error), error = NULL;
    status = tb_worker_new(client, "{\"task_queue\":\"q\",\"pollers\":0}", &worker, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "pollers");
    tb_string_free(error), error = NULL;
    status = tb_worker_new(client, "{\"task_queue\":", &worker, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "worker options");
    tb_string_free(error), error = NULL;
    status = tb_worker_new(client, "{\"task_queue\":\"\xff\"}", &worker, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "UTF-8");
    tb_string_free(error), error = NULL;
    status = tb_worker_new(client, "{\"task_queue\":\"q\"}", NULL, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "worker_out");
    tb_string_free(error), error = NULL;
    CHECK(worker == NULL, "no worker on failure");

    worker = new_worker("c-worker-bad-input", "");
    status = tb_worker_start(worker, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "register at least one");
    tb_string_free(error), error = NULL;
    status = tb_worker_wait(worker, 0, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "not started");
    tb_string_free(error), error = NULL;
    status = tb_worker_register(worker, "A", NULL, NULL, NULL, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "callback is NULL");
    tb_string_free(error), error = NULL;
    status = tb_worker_register(worker, NULL, echo, NULL, NULL, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "activity_type is NULL");
    tb_string_free(error), error = NULL;
    register_ok(worker, "A", echo, &slot);
    /* A refused registration owes no release. */
    status = tb_worker_register(worker, "A", echo, &slot, count_release, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "already registered");
    tb_string_free(error), error = NULL;
    CHECK(released[3] == 0, "release ran for a refused registration");
    /* Never started: freeing it releases the registration once. */
    tb_worker_free(worker);
    CHECK(released[3] == 1, "release ran %d times", released[3]);

    /* NULL tasks and workers are refused or ignored, never a crash. */
    CHECK(tb_activity_task_info(NULL) == NULL, "info of NULL");
    CHECK(!tb_activity_task_is_cancelled(NULL), "NULL is not cancelled");
    CHECK(tb_activity_task_cancel_reason(NULL) == NULL, "reason of NULL");
    CHECK(!tb_activity_task_wait_cancelled(NULL, 10), "wait on NULL");
    status = tb_activity_task_answer(NULL, "{\"result\":1}", &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "task is NULL");
    tb_string_free(error), error = NULL;
    status = tb_activity_task_heartbeat(NULL, "[]", &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "task is NULL");
    tb_string_free(error), error = NULL;
    tb_activity_task_free(NULL);
    tb_worker_shutdown(NULL);
    tb_worker_free(NULL);
}

int main(void) {
    static int slots[3] = {0, 1, 2};
    char queue[128], id[256], extra[256];
    char *response, *error = NULL, *stats = NULL;
    TbWorker *worker;
    TbStatus status;

    client = test_connect();
    bad_input();

    unique_id("worker-queue", queue, sizeof queue);
    worker = new_worker(queue, ",\"cancel_grace\":0.3");
    register_ok(worker, "Echo", echo, &slots[0]);
    register_ok(worker, "Flaky", flaky, &slots[1]);
    register_ok(worker, "Refuse", refuse, NULL);
    register_ok(worker, "Silent", silent, NULL);
    register_ok(worker, "Forgetful", forgetful, &slots[2]);
    start_ok(worker);
    status = tb_worker_register(worker, "Late", echo, NULL, NULL, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "before the worker runs");
    tb_string_free(error), error = NULL;
    status = tb_worker_start(worker, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "already ran");
    tb_string_free(error), error = NULL;

    /* The result, with what the task said it was. */
    call_activity(queue, "Echo", "\"args\":[\"hello\",{\"n\":2}]", id, sizeof id);
    response = result_ok(id);
    CHECK_HAS(response, "\"result\":{\"args\":[\"hello\",{\"n\":2}],\"attempt\":1}");
    tb_string_free(response);

    /* Retried by the workflow's policy: the attempt reaches the callback. */
    call_activity(queue, "Flaky",
                  "\"retry\":{\"maximum_attempts\":5,\"initial_interval_ms\":50}", id,
                  sizeof id);
    response = result_ok(id);
    CHECK_HAS(response, "\"result\":3");
    tb_string_free(response);

    /* Non-retryable: the workflow fails with our type and details. */
    call_activity(queue, "Refuse", "\"retry\":{\"maximum_attempts\":5}", id, sizeof id);
    error = result_failed(id);
    CHECK_HAS(error, "InvalidOrder");
    CHECK_HAS(error, "the order is invalid");
    CHECK_HAS(error, "{\"order\":7}");
    tb_string_free(error), error = NULL;

    /* An activity type nobody registered. */
    call_activity(queue, "Nobody", "", id, sizeof id);
    error = result_failed(id);
    CHECK_HAS(error, "NotFoundError");
    CHECK_HAS(error, "Echo, Flaky, Forgetful, Refuse, Silent");
    tb_string_free(error), error = NULL;

    /* A task freed unanswered fails at once. */
    call_activity(queue, "Forgetful", "", id, sizeof id);
    error = result_failed(id);
    CHECK_HAS(error, "HandlerReleasedTask");
    tb_string_free(error), error = NULL;

    /* A callback that never answers: its timeout cancels it, the worker gives
     * up on it, and a late answer is refused. */
    snprintf(extra, sizeof extra, "\"start_to_close_timeout_ms\":1000");
    call_activity(queue, "Silent", extra, id, sizeof id);
    error = result_failed(id);
    CHECK_HAS(error, "\"timeout_type\":\"start_to_close\"");
    tb_string_free(error), error = NULL;
    pthread_mutex_lock(&kept_lock);
    CHECK(kept != NULL, "the silent callback ran");
    CHECK(tb_activity_task_wait_cancelled(kept, 10000), "the task was cancelled");
    CHECK(strcmp(tb_activity_task_cancel_reason(kept), "timed_out") == 0, "reason %s",
          tb_activity_task_cancel_reason(kept));
    {
        /* The worker gives up `cancel_grace` after the cancellation. */
        double limit = now_seconds() + 10;
        for (;;) {
            status = tb_worker_stats(worker, &stats, &error);
            CHECK_STATUS(status, TB_STATUS_OK, error);
            if (json_has(stats, "\"given_up\":1")) break;
            tb_string_free(stats);
            CHECK(now_seconds() < limit, "the worker never gave up on the task");
            sleep_seconds(0.05);
        }
        tb_string_free(stats);
        stats = NULL;
    }
    status = tb_activity_task_answer(kept, "{\"result\":1}", &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "no longer running");
    tb_string_free(error), error = NULL;
    /* A malformed answer is refused by name. */
    status = tb_activity_task_answer(kept, "{\"resutl\":1}", &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "resutl");
    tb_string_free(error), error = NULL;
    tb_activity_task_free(kept);
    kept = NULL;
    pthread_mutex_unlock(&kept_lock);

    status = tb_worker_stats(worker, &stats, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK_HAS(stats, "\"completed\":2");
    CHECK_HAS(stats, "\"given_up\":1");
    CHECK_HAS(stats, "\"running\":0");
    tb_string_free(stats);

    tb_worker_shutdown(worker);
    status = tb_worker_wait(worker, 30000, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK(released[0] == 0, "released while the worker lives");
    tb_worker_free(worker);
    CHECK(released[0] == 1 && released[1] == 1 && released[2] == 1,
          "release ran %d, %d, %d times", released[0], released[1], released[2]);

    tb_client_free(client);
    printf("test_worker: ok\n");
    return 0;
}
