/* Abandoning calls, never workflows: a cancel token cancelled from another
 * thread unblocks a blocking result wait promptly while the workflow keeps
 * running; one token abandons several waits; closing the client from another
 * thread unblocks its waits; a pre-cancelled token fails at once and starts
 * nothing; call_timeout gives deadline_exceeded. */
#define _GNU_SOURCE
#include "tb_test.h"

#include <pthread.h>

/* Most a cancel may take to unblock a wait (the work is one task wake-up). */
#define PROMPT_SECONDS 2.0

struct waiter {
    const TbClient *client;
    const TbCancelToken *token;
    char request[256];
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int finished;
    double finished_at;
    TbStatus status;
    char *response;
    char *error;
    pthread_t thread;
};

static void *waiter_main(void *arg) {
    struct waiter *w = (struct waiter *)arg;
    char *response = NULL, *error = NULL;
    TbStatus status = tb_workflow_get_result(w->client, w->request, w->token, &response, &error);
    pthread_mutex_lock(&w->lock);
    w->status = status;
    w->response = response;
    w->error = error;
    w->finished_at = now_seconds();
    w->finished = 1;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void waiter_start(struct waiter *w, const TbClient *client, const TbCancelToken *token,
                         const char *workflow_id) {
    memset(w, 0, sizeof *w);
    w->client = client;
    w->token = token;
    snprintf(w->request, sizeof w->request, "{\"workflow_id\":\"%s\"}", workflow_id);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->changed, NULL);
    CHECK(pthread_create(&w->thread, NULL, waiter_main, w) == 0, "pthread_create");
}

/* Waits until the waiter finished or `seconds` passed; returns finished. */
static int waiter_wait(struct waiter *w, double seconds) {
    int finished;
    struct timespec until = deadline_after(seconds);
    pthread_mutex_lock(&w->lock);
    while (!w->finished) {
        if (pthread_cond_timedwait(&w->changed, &w->lock, &until) != 0) break;
    }
    finished = w->finished;
    pthread_mutex_unlock(&w->lock);
    return finished;
}

static void waiter_join(struct waiter *w) {
    pthread_join(w->thread, NULL);
    tb_string_free(w->response);
    tb_string_free(w->error);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->changed);
}

/* The result wait of a running workflow really blocks: still waiting after a
 * second (a real assertion, not a sleep to let something happen). */
static void check_still_blocked(struct waiter *w) {
    CHECK(!waiter_wait(w, 1.0), "the wait on a running workflow returned %s: %s",
          tb_status_name(w->status), w->error ? w->error : w->response);
}

static void test_token_unblocks_wait(const TbClient *client) {
    char workflow_id[128], status_text[64];
    struct waiter w;
    TbCancelToken *token = tb_cancel_token_new();
    double cancelled_at;

    start_long_running(client, "token-wait", workflow_id, sizeof workflow_id);
    waiter_start(&w, client, token, workflow_id);
    check_still_blocked(&w);

    CHECK(!tb_cancel_token_is_cancelled(token), "fresh token is cancelled");
    cancelled_at = now_seconds();
    tb_cancel_token_cancel(token);
    CHECK(tb_cancel_token_is_cancelled(token), "token not cancelled");
    CHECK(waiter_wait(&w, PROMPT_SECONDS), "wait not abandoned within %.1fs of the cancel",
          PROMPT_SECONDS);
    CHECK_ERROR(w.status, TB_STATUS_CANCELLED, w.error, NULL);
    CHECK(w.response == NULL, "response_out written on failure");
    printf("ok - token cancelled from another thread unblocks a result wait in %.3fs\n",
           w.finished_at - cancelled_at);
    waiter_join(&w);

    /* Abandoning the wait never touched the workflow. */
    describe_status(client, workflow_id, status_text, sizeof status_text);
    CHECK(strcmp(status_text, "running") == 0, "describe says %s", status_text);
    printf("ok - the workflow keeps running after its wait was abandoned\n");

    /* Cancelling twice is harmless; freeing a cancelled token too. */
    tb_cancel_token_cancel(token);
    tb_cancel_token_free(token);
    terminate_quietly(client, workflow_id);
}

static void test_one_token_many_waits(const TbClient *client) {
    char first[128], second[128];
    struct waiter a, b;
    TbCancelToken *token = tb_cancel_token_new();

    start_long_running(client, "token-many-1", first, sizeof first);
    start_long_running(client, "token-many-2", second, sizeof second);
    waiter_start(&a, client, token, first);
    waiter_start(&b, client, token, second);
    check_still_blocked(&a);
    check_still_blocked(&b);
    tb_cancel_token_cancel(token);
    CHECK(waiter_wait(&a, PROMPT_SECONDS) && waiter_wait(&b, PROMPT_SECONDS),
          "a wait was not abandoned");
    CHECK_ERROR(a.status, TB_STATUS_CANCELLED, a.error, NULL);
    CHECK_ERROR(b.status, TB_STATUS_CANCELLED, b.error, NULL);
    waiter_join(&a);
    waiter_join(&b);
    tb_cancel_token_free(token);
    terminate_quietly(client, first);
    terminate_quietly(client, second);
    printf("ok - one token abandons every wait it was given\n");
}

static void test_close_unblocks_wait(const TbClient *client) {
    char workflow_id[128], request[256], status_text[64];
    char *error = NULL;
    struct waiter w;
    TbClient *doomed = test_connect();
    TbStatus status;

    start_long_running(client, "close-wait", workflow_id, sizeof workflow_id);
    waiter_start(&w, doomed, NULL, workflow_id);
    check_still_blocked(&w);
    tb_client_close(doomed);
    CHECK(waiter_wait(&w, PROMPT_SECONDS), "closing the client did not end the wait");
    CHECK_ERROR(w.status, TB_STATUS_CANCELLED, w.error, "closed");
    waiter_join(&w);

    /* A closed client refuses new calls the same way. */
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\"}", workflow_id);
    status = tb_workflow_describe(doomed, request, NULL, NULL, &error);
    CHECK_ERROR(status, TB_STATUS_CANCELLED, error, "closed");
    tb_string_free(error);
    tb_client_close(doomed); /* idempotent */
    tb_client_free(doomed);

    describe_status(client, workflow_id, status_text, sizeof status_text);
    CHECK(strcmp(status_text, "running") == 0, "describe says %s", status_text);
    terminate_quietly(client, workflow_id);
    printf("ok - closing a client from another thread unblocks its waits\n");
}

static void test_precancelled_token(const TbClient *client) {
    char workflow_id[128], request[512];
    char *response = NULL, *error = NULL;
    TbCancelToken *token = tb_cancel_token_new();
    TbStatus status;

    tb_cancel_token_cancel(token);
    unique_id("precancelled", workflow_id, sizeof workflow_id);
    start_request(request, sizeof request, "MySimpleWorkflow", workflow_id, "[\"never\"]");
    status = tb_workflow_start(client, request, token, &response, &error);
    CHECK_ERROR(status, TB_STATUS_CANCELLED, error, NULL);
    CHECK(response == NULL, "response_out written on failure");
    tb_string_free(error);
    error = NULL;
    tb_cancel_token_free(token);

    /* Nothing was started. */
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\"}", workflow_id);
    status = tb_workflow_describe(client, request, NULL, NULL, &error);
    CHECK_ERROR(status, TB_STATUS_NOT_FOUND, error, NULL);
    tb_string_free(error);
    printf("ok - a cancelled token fails a call at once and starts nothing\n");
}

static void test_call_timeout(const TbClient *client) {
    char workflow_id[128];
    char *error = NULL;
    double started, took;
    TbStatus status;

    start_long_running(client, "deadline", workflow_id, sizeof workflow_id);
    started = now_seconds();
    status = get_result(client, workflow_id, "1s", NULL, &error);
    took = now_seconds() - started;
    CHECK_ERROR(status, TB_STATUS_DEADLINE_EXCEEDED, error, NULL);
    CHECK(took >= 0.9 && took < 1.0 + PROMPT_SECONDS, "deadline of 1s took %.3fs", took);
    tb_string_free(error);
    terminate_quietly(client, workflow_id);
    printf("ok - call_timeout ends a wait with deadline_exceeded after %.3fs\n", took);
}

int main(void) {
    TbClient *client = test_connect();
    test_token_unblocks_wait(client);
    test_one_token_many_waits(client);
    test_close_unblocks_wait(client);
    test_precancelled_token(client);
    test_call_timeout(client);
    tb_client_free(client);
    return 0;
}
