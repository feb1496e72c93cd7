/* The C contender of bench_worker.py: an activity worker with one no-op
 * activity ("Noop", answered on the thread that got the task).
 *
 *   noop_worker '<connect options JSON>' <task queue> <max concurrent>
 *
 * Prints "ready" once polling, runs until its stdin closes, then shuts down
 * and prints the worker's stats. */
#include "temporal_bridge.h"

#include <stdio.h>
#include <stdlib.h>

static void noop(void *user_data, TbActivityTask *task) {
    (void)user_data;
    tb_activity_task_answer(task, "{\"result\":null}", NULL);
    tb_activity_task_free(task);
}

static void check(TbStatus status, const char *what, char *error) {
    if (status != TB_STATUS_OK) {
        fprintf(stderr, "noop_worker: %s: %s %s\n", what, tb_status_name(status), error ? error : "");
        exit(1);
    }
}

int main(int argc, char **argv) {
    TbClient *client = NULL;
    TbWorker *worker = NULL;
    char *error = NULL, *stats = NULL, options[512];
    if (argc != 4) {
        fprintf(stderr, "usage: noop_worker '<connect options JSON>' <task queue> <max concurrent>\n");
        return 2;
    }
    check(tb_client_connect(argv[1], &client, &error), "connect", error);
    snprintf(options, sizeof options, "{\"task_queue\":\"%s\",\"max_concurrent\":%s}", argv[2], argv[3]);
    check(tb_worker_new(client, options, &worker, &error), "tb_worker_new", error);
    check(tb_worker_register(worker, "Noop", noop, NULL, NULL, &error), "register", error);
    check(tb_worker_start(worker, &error), "start", error);
    printf("ready\n");
    fflush(stdout);
    while (getchar() != EOF) {
    }
    tb_worker_shutdown(worker);
    check(tb_worker_wait(worker, -1, &error), "wait", error);
    check(tb_worker_stats(worker, &stats, &error), "stats", error);
    fprintf(stderr, "noop_worker: %s\n", stats);
    tb_string_free(stats);
    tb_worker_free(worker);
    tb_client_free(client);
    return 0;
}
