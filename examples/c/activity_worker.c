/* Example 4: an activity worker in C. Workflows written with any SDK call
 * its activity by name on TB_ACTIVITY_TASK_QUEUE (default c-activities);
 * e.g. the Go worker's CallActivityWorkflow.
 *
 *   Greet(name) -> "Hello, <name>, from C!"
 *
 * The callback answers on the library thread that got the task (it could
 * also hand the task to a thread of its own and return). Runs until SIGINT
 * or SIGTERM, then shuts down gracefully. Prints "activity worker ready"
 * once polling. */
#define _POSIX_C_SOURCE 200809L
#include "example.h"

#include <pthread.h>
#include <signal.h>

static void greet(void *user_data, TbActivityTask *task) {
    const char *info = tb_activity_task_info(task); /* {"args": ["World"], ...} */
    char *args = json_member(info, "args");
    char *name = NULL;
    char *answer;
    char *error = NULL;
    TbStatus status;
    (void)user_data;
    if (args != NULL && args[0] == '[' && args[1] == '"') {
        /* The first argument, a string: ["World", ...] -> World (unescaped
         * names only; a real program uses a JSON library). */
        char *end = strchr(args + 2, '"');
        if (end != NULL) {
            *end = '\0';
            name = args + 2;
        }
    }
    {
        char *greeting = FORMAT("Hello, %s, from C!", name != NULL ? name : "stranger");
        char *quoted = json_quote(greeting);
        answer = FORMAT("{\"result\": %s}", quoted);
        free(greeting);
        free(quoted);
    }
    status = tb_activity_task_answer(task, answer, &error);
    if (status != TB_STATUS_OK) {
        fprintf(stderr, "answer failed: %s %s\n", tb_status_name((uint32_t)status), error);
        tb_string_free(error);
    }
    free(answer);
    free(args);
    tb_activity_task_free(task);
}

int main(void) {
    sigset_t stop_signals;
    int signal_number = 0;
    char *queue, *options, *error = NULL, *stats = NULL;
    TbClient *client;
    TbWorker *worker = NULL;
    TbStatus status;

    /* Taken by sigwait below: blocked before the library starts threads. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    client = connect_client();
    queue = json_quote(env_or("TB_ACTIVITY_TASK_QUEUE", "c-activities"));
    options = FORMAT("{\"task_queue\": %s, \"graceful_shutdown_timeout\": \"10s\"}", queue);
    status = tb_worker_new(client, options, &worker, &error);
    free(options);
    if (status != TB_STATUS_OK) die("tb_worker_new", status, error);
    status = tb_worker_register(worker, "Greet", greet, NULL, NULL, &error);
    if (status != TB_STATUS_OK) die("tb_worker_register", status, error);
    status = tb_worker_start(worker, &error);
    if (status != TB_STATUS_OK) die("tb_worker_start", status, error);
    printf("activity worker ready on %s\n", env_or("TB_ACTIVITY_TASK_QUEUE", "c-activities"));
    fflush(stdout);
    free(queue);

    sigwait(&stop_signals, &signal_number);
    printf("shutting down\n");
    tb_worker_shutdown(worker);
    status = tb_worker_wait(worker, -1, &error);
    if (status != TB_STATUS_OK) die("tb_worker_wait", status, error);
    status = tb_worker_stats(worker, &stats, &error);
    if (status != TB_STATUS_OK) die("tb_worker_stats", status, error);
    printf("activity worker stopped: %s\n", stats);
    tb_string_free(stats);
    tb_worker_free(worker);
    tb_client_free(client);
    return 0;
}
