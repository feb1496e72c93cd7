/* The header's example, as a program: connect, start MySimpleWorkflow,
 * wait for its result, free everything. Run by ctest against the harness
 * (TB_TARGET, TB_TASK_QUEUE); built once through the CMake package and once
 * through pkg-config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <temporal_bridge.h>

int main(void) {
    char options[256], start[512], wait[256], workflow_id[64];
    const char *target = getenv("TB_TARGET");
    const char *queue = getenv("TB_TASK_QUEUE");
    TbClient *client = NULL;
    char *response = NULL, *error = NULL;
    int ok;

    snprintf(options, sizeof options, "{\"target\": \"%s\"}", target ? target : "127.0.0.1:7233");
    snprintf(workflow_id, sizeof workflow_id, "c-example-%ld", (long)getpid());
    snprintf(start, sizeof start,
             "{\"workflow_type\": \"MySimpleWorkflow\", \"task_queue\": \"%s\","
             " \"workflow_id\": \"%s\", \"args\": [\"World\"]}",
             queue ? queue : "q", workflow_id);
    snprintf(wait, sizeof wait, "{\"workflow_id\": \"%s\"}", workflow_id);

    ok = tb_client_connect(options, &client, &error) == TB_STATUS_OK &&
         tb_workflow_start(client, start, NULL, NULL, &error) == TB_STATUS_OK &&
         tb_workflow_get_result(client, wait, NULL, &response, &error) == TB_STATUS_OK;
    if (ok)
        printf("%s\n", response);
    else
        fprintf(stderr, "%s\n", error);
    ok = ok && strstr(response, "\"result\":\"Hello, World!\"") != NULL;
    tb_string_free(response);
    tb_string_free(error);
    tb_client_free(client);
    return ok ? 0 : 1;
}
