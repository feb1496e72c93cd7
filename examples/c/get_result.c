/* Example 2: in a separate process, knowing only the workflow ID, wait for
 * the workflow's result and print it.
 * Usage: get_result <workflow-id> */
#include "example.h"

int main(int argc, char **argv) {
    if (argc != 2) {
        fputs("usage: get_result <workflow-id>\n", stderr);
        return 2;
    }
    TbClient *client = connect_client();
    char *id_json = json_quote(argv[1]);
    char *request = FORMAT("{\"workflow_id\": %s}", id_json);
    char *response = NULL, *error = NULL;

    /* Blocks until the workflow closes (the server long-polls its history). */
    TbStatus status = tb_workflow_get_result(client, request, NULL, &response, &error);
    if (status != TB_STATUS_OK) die("get_workflow_result", status, error);

    /* {"workflow_id": "...", "run_id": "...", "result": <any JSON value>} */
    char *result = json_member(response, "result");
    printf("Workflow %s result: %s\n", argv[1], result);

    free(result);
    tb_string_free(response);
    free(request);
    free(id_json);
    tb_client_free(client);
    return 0;
}
