/* Example 1: start the Go worker's MySimpleWorkflow by its type name, with
 * the ID myworkflow_<uuid> on TB_TASK_QUEUE, and print its IDs.
 * When TRACEPARENT (and TRACESTATE) is set, as OpenTelemetry passes a trace
 * context to a process, the start carries it: a worker with the SDK's
 * OpenTelemetry interceptor runs the workflow in that trace.
 * Usage: start_workflow [name]   (default name: World) */
#include "example.h"

int main(int argc, char **argv) {
    TbClient *client = connect_client();
    char *workflow_id = new_workflow_id("myworkflow");
    char *id_json = json_quote(workflow_id);
    char *queue_json = json_quote(env_or("TB_TASK_QUEUE", "mytaskqueue"));
    char *name_json = json_quote(argc > 1 ? argv[1] : "World");
    char *parent_json = json_quote(env_or("TRACEPARENT", ""));
    char *state_json = json_quote(env_or("TRACESTATE", ""));
    char *trace = FORMAT(", \"trace_context\": {\"traceparent\": %s, \"tracestate\": %s}",
                         parent_json, state_json);
    char *request = FORMAT("{\"workflow_type\": \"MySimpleWorkflow\", \"task_queue\": %s,"
                           " \"workflow_id\": %s, \"args\": [%s]%s}",
                           queue_json, id_json, name_json, *env_or("TRACEPARENT", "") ? trace : "");
    char *response = NULL, *error = NULL;

    TbStatus status = tb_workflow_start(client, request, NULL, &response, &error);
    if (status != TB_STATUS_OK) die("start_workflow", status, error);

    /* {"workflow_id": "...", "run_id": "...", "started": true,
        "first_execution_run_id": "..."} */
    char *started_id = json_string_member(response, "workflow_id");
    char *run_id = json_string_member(response, "run_id");
    printf("Started workflow WorkflowID %s RunID %s\n", started_id, run_id);

    free(started_id);
    free(run_id);
    tb_string_free(response);
    free(request);
    free(trace);
    free(state_json);
    free(parent_json);
    free(name_json);
    free(queue_json);
    free(id_json);
    free(workflow_id);
    tb_client_free(client);
    return 0;
}
