/* Example 3: start CancellableWorkflow, cancel it by ID once its activity
 * runs, wait for the outcome, and show that it ended canceled after its
 * cleanup activity ran (the Go worker writes <TB_CLEANUP_DIR>/<workflow ID>). */
#include "example.h"

#include <time.h>

/* Runs one blocking call that must succeed; returns its response JSON. */
static char *call(TbClient *client,
                  TbStatus (*operation)(const TbClient *, const char *, const TbCancelToken *,
                                        char **, char **),
                  const char *name, const char *request) {
    char *response = NULL, *error = NULL;
    TbStatus status = operation(client, request, NULL, &response, &error);
    if (status != TB_STATUS_OK) die(name, status, error);
    return response;
}

int main(void) {
    TbClient *client = connect_client();
    char *workflow_id = new_workflow_id("cancel");
    char *id_json = json_quote(workflow_id);
    char *queue_json = json_quote(env_or("TB_TASK_QUEUE", "mytaskqueue"));
    char *request = FORMAT("{\"workflow_type\": \"CancellableWorkflow\", \"task_queue\": %s,"
                           " \"workflow_id\": %s}", queue_json, id_json);
    char *by_id = FORMAT("{\"workflow_id\": %s}", id_json);

    char *response = call(client, tb_workflow_start, "start_workflow", request);
    char *run_id = json_string_member(response, "run_id");
    printf("Started workflow WorkflowID %s RunID %s\n", workflow_id, run_id);
    free(run_id);
    tb_string_free(response);

    /* Cancel once the long activity is running, so there is work to clean up. */
    for (int attempt = 0; attempt < 300; attempt++) {
        char *description = call(client, tb_workflow_describe, "describe_workflow", by_id);
        char *pending = json_member(description, "pending_activities");
        int running = pending != NULL && strcmp(pending, "[]") != 0;
        free(pending);
        tb_string_free(description);
        if (running) break;
        nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
    }
    char *cancel = FORMAT("{\"workflow_id\": %s, \"reason\": \"example 3 cancels it\"}", id_json);
    tb_string_free(call(client, tb_workflow_cancel, "cancel_workflow", cancel));
    printf("Requested cancellation of %s\n", workflow_id);

    /* The workflow runs its cleanup, then ends Canceled: for a waiting client
     * that is the error kind "workflow_canceled". */
    char *error = NULL;
    response = NULL;
    TbStatus status = tb_workflow_get_result(client, by_id, NULL, &response, &error);
    if (status == TB_STATUS_WORKFLOW_CANCELED) {
        printf("Workflow %s ended: canceled\n", workflow_id);
    } else if (status == TB_STATUS_OK) {
        printf("Workflow completed unexpectedly: %s\n", response);
    } else {
        die("get_workflow_result", status, error);
    }
    tb_string_free(response);
    tb_string_free(error);

    char *description = call(client, tb_workflow_describe, "describe_workflow", by_id);
    char *final_status = json_string_member(description, "status");
    printf("Status: %s\n", final_status);
    free(final_status);
    tb_string_free(description);

    const char *cleanup_dir = getenv("TB_CLEANUP_DIR");
    if (cleanup_dir != NULL) {
        char *path = FORMAT("%s/%s", cleanup_dir, workflow_id);
        char text[64] = "";
        FILE *evidence = fopen(path, "r");
        if (evidence != NULL && fgets(text, sizeof text, evidence) != NULL)
            printf("Cleanup activity ran: %s says \"%s\"\n", path, text);
        else
            printf("Cleanup evidence not found at %s\n", path);
        if (evidence != NULL) fclose(evidence);
        free(path);
    }

    free(cancel);
    free(by_id);
    free(request);
    free(queue_json);
    free(id_json);
    free(workflow_id);
    tb_client_free(client);
    return status == TB_STATUS_WORKFLOW_CANCELED ? 0 : 1;
}
