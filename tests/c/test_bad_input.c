/* The bad-input matrix: NULL pointers, invalid UTF-8, malformed JSON,
 * non-object JSON, unknown fields, wrong types, missing fields, bad
 * durations, unknown operations and unknown workflows. Each must give the
 * right status and a JSON error object whose kind matches the status and
 * which names the problem; output parameters are written only as documented.
 * NULL-tolerant functions must accept NULL. */
#include "tb_test.h"

static const char BAD_UTF8[] = {'{', '"', 'a', '\xc3', '\x28', '"', ':', '1', '}', '\0'};

/* Sentinel for "not written": a real address no call would ever return. */
static char sentinel_storage;
#define SENTINEL ((char *)&sentinel_storage)

static void expect_connect_error(const char *options, const char *mention) {
    TbClient *client = (TbClient *)SENTINEL;
    char *error = NULL;
    TbStatus status = tb_client_connect(options, &client, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, mention);
    CHECK(client == (TbClient *)SENTINEL, "client_out written on failure");
    tb_string_free(error);
}

static void test_connect_inputs(void) {
    char *error = NULL;
    TbStatus status;
    char options[256];

    expect_connect_error(NULL, "options_json is NULL");
    expect_connect_error(BAD_UTF8, "options_json is not valid UTF-8");
    expect_connect_error("{\"target\":", "not valid JSON");
    expect_connect_error("[\"127.0.0.1:7233\"]", "must be a JSON object");
    expect_connect_error("{\"target\":\"127.0.0.1:7233\",\"bogus\":1}", "bogus");
    expect_connect_error("{\"target\":7233}", "target");
    /* Without a target the configuration profile applies: a file that is not
       there, or a profile it does not have, is named. */
    expect_connect_error("{\"config_file\":\"/nonexistent/temporal.toml\"}",
                         "/nonexistent/temporal.toml");
    expect_connect_error("{\"target\":\"127.0.0.1:7233\",\"config_strict\":\"yes\"}",
                         "config_strict");
    expect_connect_error("{\"target\":\"127.0.0.1:7233\",\"rpc_timeout\":\"soon\"}",
                         "rpc_timeout");

    /* client_out is required (a client nobody holds would leak). */
    snprintf(options, sizeof options, "{\"target\":\"%s\"}", test_env("TB_TARGET"));
    status = tb_client_connect(options, NULL, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "client_out is NULL");
    tb_string_free(error);

    /* error_out may be NULL: the status alone still tells. */
    status = tb_client_connect(NULL, NULL, NULL);
    CHECK(status == TB_STATUS_INVALID_ARGUMENT, "got %s", tb_status_name(status));

    /* Nothing listens on port 1. */
    {
        TbClient *client = (TbClient *)SENTINEL;
        status = tb_client_connect("{\"target\":\"127.0.0.1:1\",\"connect_timeout\":\"2s\"}",
                                   &client, &error);
        CHECK_ERROR(status, TB_STATUS_UNAVAILABLE, error, "127.0.0.1:1");
        CHECK(client == (TbClient *)SENTINEL, "client_out written on failure");
        tb_string_free(error);
    }
    printf("ok - connect: NULL, bad UTF-8, bad JSON, unknown field, wrong type, missing "
           "field, bad duration, NULL out-param, unreachable server\n");
}

/* The ABI version: what the loaded library serves matches what this header
 * was generated for, and a binding naming another version at connect is
 * refused with the reason before anything is dialled. */
static void test_abi_version(void) {
    char options[256];
    char *error = NULL;
    TbClient *client = NULL;
    TbStatus status;
    uint32_t version = tb_abi_version();

    CHECK(version >> 16 == TB_ABI_VERSION_MAJOR && (version & 0xffff) == TB_ABI_VERSION_MINOR,
          "library ABI %u.%u, header %d.%d", version >> 16, version & 0xffff,
          TB_ABI_VERSION_MAJOR, TB_ABI_VERSION_MINOR);
    snprintf(options, sizeof options, "{\"target\":\"127.0.0.1:1\",\"abi_version\":\"%d.0\"}",
             TB_ABI_VERSION_MAJOR + 1);
    expect_connect_error(options, "major versions differ");
    snprintf(options, sizeof options, "{\"target\":\"127.0.0.1:1\",\"abi_version\":\"%d.%d\"}",
             TB_ABI_VERSION_MAJOR, TB_ABI_VERSION_MINOR + 1);
    expect_connect_error(options, "needs a newer library");
    expect_connect_error("{\"target\":\"127.0.0.1:1\",\"abi_version\":\"one\"}", "major.minor");
    snprintf(options, sizeof options, "{\"target\":\"%s\",\"abi_version\":\"%d.%d\"}",
             test_env("TB_TARGET"), TB_ABI_VERSION_MAJOR, TB_ABI_VERSION_MINOR);
    status = tb_client_connect(options, &client, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    tb_client_free(client);
    printf("ok - ABI version: library and header agree; other versions refused at connect\n");
}

/* The contract as data: one JSON Schema document naming every operation and
 * its C function, every error kind the statuses name; NULL for the document
 * is refused. */
static void test_describe_contract(void) {
    char *contract = NULL, *error = NULL;
    char needle[96];
    uint32_t value;
    TbStatus status = tb_describe_contract(&contract, &error);

    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK(error == NULL, "error_out written on success");
    snprintf(needle, sizeof needle, "\"abi_version\":\"%d.%d\"", TB_ABI_VERSION_MAJOR,
             TB_ABI_VERSION_MINOR);
    CHECK_HAS(contract, needle);
    CHECK_HAS(contract, "\"$schema\":\"https://json-schema.org/draft/2020-12/schema\"");
    CHECK_HAS(contract, "\"c_function\":\"tb_workflow_start\"");
    CHECK_HAS(contract, "\"name\":\"start_workflow\"");
    CHECK_HAS(contract, "\"c_function\":\"tb_client_connect\"");
    /* The error object's kinds are the statuses' names. */
    for (value = 1; strcmp(tb_status_name(value), "unknown") != 0; value++) {
        snprintf(needle, sizeof needle, "\"const\":\"%s\"", tb_status_name(value));
        CHECK_HAS(contract, needle);
    }
    tb_string_free(contract);

    status = tb_describe_contract(&contract, NULL); /* error_out may be NULL */
    CHECK_STATUS(status, TB_STATUS_OK, NULL);
    tb_string_free(contract);

    status = tb_describe_contract(NULL, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "contract_out is NULL");
    tb_string_free(error);
    printf("ok - describe contract: the schema document; NULL contract_out refused\n");
}

/* A call that must fail with `want`, naming `mention`; checks that
 * response_out stays untouched. */
static void expect_call_error(const TbClient *client, const char *operation,
                              const char *request, TbStatus want, const char *mention) {
    char *response = SENTINEL;
    char *error = NULL;
    TbStatus status = tb_client_call(client, operation, request, NULL, &response, &error);
    CHECK_ERROR(status, want, error, mention);
    CHECK(response == SENTINEL, "response_out written on failure");
    tb_string_free(error);
}

static void test_call_inputs(const TbClient *client) {
    char request[512];
    const char *queue = test_env("TB_TASK_QUEUE");

    expect_call_error(NULL, "describe_workflow", "{\"workflow_id\":\"x\"}",
                      TB_STATUS_INVALID_ARGUMENT, "client is NULL");
    expect_call_error(client, NULL, "{\"workflow_id\":\"x\"}", TB_STATUS_INVALID_ARGUMENT,
                      "operation is NULL");
    expect_call_error(client, "describe_workflow", NULL, TB_STATUS_INVALID_ARGUMENT,
                      "request_json is NULL");
    expect_call_error(client, "describe_workflow", BAD_UTF8, TB_STATUS_INVALID_ARGUMENT,
                      "request_json is not valid UTF-8");
    expect_call_error(client, BAD_UTF8, "{}", TB_STATUS_INVALID_ARGUMENT,
                      "operation is not valid UTF-8");
    expect_call_error(client, "describe_workflow", "{\"workflow_id\":", TB_STATUS_INVALID_ARGUMENT,
                      "not valid JSON");
    expect_call_error(client, "describe_workflow", "", TB_STATUS_INVALID_ARGUMENT,
                      "not valid JSON");
    expect_call_error(client, "describe_workflow", "[\"x\"]", TB_STATUS_INVALID_ARGUMENT,
                      "must be a JSON object");
    expect_call_error(client, "describe_workflow", "{\"workflow_id\":\"x\",\"bogus\":true}",
                      TB_STATUS_INVALID_ARGUMENT, "bogus");
    expect_call_error(client, "describe_workflow", "{\"workflow_id\":5}",
                      TB_STATUS_INVALID_ARGUMENT, "\"field\":\"workflow_id\"");
    expect_call_error(client, "get_workflow_result", "{\"run_id\":\"r\"}",
                      TB_STATUS_INVALID_ARGUMENT, "workflow_id");
    expect_call_error(client, "get_workflow_result",
                      "{\"workflow_id\":\"x\",\"call_timeout\":-1}",
                      TB_STATUS_INVALID_ARGUMENT, "\"field\":\"call_timeout\"");
    snprintf(request, sizeof request,
             "{\"workflow_type\":\"MySimpleWorkflow\",\"task_queue\":\"%s\",\"args\":\"World\"}",
             queue);
    expect_call_error(client, "start_workflow", request, TB_STATUS_INVALID_ARGUMENT,
                      "\"field\":\"args\"");
    snprintf(request, sizeof request,
             "{\"workflow_type\":\"MySimpleWorkflow\",\"task_queue\":\"%s\","
             "\"retry_policy\":{\"maximum_attempts\":\"three\"}}",
             queue);
    expect_call_error(client, "start_workflow", request, TB_STATUS_INVALID_ARGUMENT,
                      "retry_policy.maximum_attempts");
    expect_call_error(client, "start_workflow", "{\"workflow_type\":\"MySimpleWorkflow\"}",
                      TB_STATUS_INVALID_ARGUMENT, "task_queue");
    expect_call_error(client, "frobnicate_workflow", "{}", TB_STATUS_INVALID_ARGUMENT,
                      "unknown operation");
    expect_call_error(client, "", "{}", TB_STATUS_INVALID_ARGUMENT, "unknown operation");

    /* The named functions check their arguments the same way. */
    {
        char *response = SENTINEL, *error = NULL;
        TbStatus status = tb_workflow_start(NULL, "{}", NULL, &response, &error);
        CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "client is NULL");
        CHECK(response == SENTINEL, "response_out written on failure");
        tb_string_free(error);
        error = NULL;
        status = tb_workflow_terminate(client, NULL, NULL, &response, &error);
        CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "request_json is NULL");
        tb_string_free(error);
        /* Both output parameters NULL: only the status. */
        status = tb_workflow_describe(client, "{", NULL, NULL, NULL);
        CHECK(status == TB_STATUS_INVALID_ARGUMENT, "got %s", tb_status_name(status));
    }
    printf("ok - calls: NULL client/operation/request, bad UTF-8, bad JSON, non-object, "
           "unknown field, wrong type, missing field, bad duration, unknown operation\n");
}

static void test_unknown_workflow(const TbClient *client) {
    char workflow_id[128], request[256];
    unique_id("never-started", workflow_id, sizeof workflow_id);
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\"}", workflow_id);
    expect_call_error(client, "get_workflow_result", request, TB_STATUS_NOT_FOUND, NULL);
    expect_call_error(client, "describe_workflow", request, TB_STATUS_NOT_FOUND, NULL);
    expect_call_error(client, "cancel_workflow", request, TB_STATUS_NOT_FOUND, NULL);
    expect_call_error(client, "terminate_workflow", request, TB_STATUS_NOT_FOUND, NULL);
    printf("ok - result/describe/cancel/terminate of an unknown workflow give not_found\n");
}

static void test_null_tolerant_functions(void) {
    TbCancelToken *token;
    uint32_t value;
    tb_string_free(NULL);
    tb_client_free(NULL);
    tb_client_close(NULL);
    tb_cancel_token_free(NULL);
    tb_cancel_token_cancel(NULL);
    CHECK(!tb_cancel_token_is_cancelled(NULL), "NULL token reads as cancelled");
    token = tb_cancel_token_new();
    CHECK(token != NULL, "no token");
    tb_cancel_token_free(token);

    CHECK(strcmp(tb_status_name(TB_STATUS_OK), "ok") == 0, "ok");
    CHECK(strcmp(tb_status_name(TB_STATUS_NOT_FOUND), "not_found") == 0, "not_found");
    CHECK(strcmp(tb_status_name(TB_STATUS_CANCELLED), "cancelled") == 0, "cancelled");
    CHECK(strcmp(tb_status_name(TB_STATUS_WORKFLOW_CANCELED), "workflow_canceled") == 0, "wc");
    /* Statuses are numbered 0..N-1 without gaps, each with its own name. */
    for (value = 0; strcmp(tb_status_name(value), "unknown") != 0; value++) {
        uint32_t other;
        CHECK(value < 1000, "no end to the statuses");
        for (other = 0; other < value; other++)
            CHECK(strcmp(tb_status_name(value), tb_status_name(other)) != 0,
                  "statuses %u and %u share the name %s", value, other, tb_status_name(value));
    }
    CHECK(value > TB_STATUS_INTERNAL, "only %u statuses", value);
    for (; value < 1000; value++)
        CHECK(strcmp(tb_status_name(value), "unknown") == 0, "a gap before status %u", value);
    CHECK(strcmp(tb_status_name(0xffffffffu), "unknown") == 0, "max");
    printf("ok - free/close/cancel accept NULL; every status has a name\n");
}

int main(void) {
    TbClient *client;
    test_null_tolerant_functions();
    test_connect_inputs();
    test_abi_version();
    test_describe_contract();
    client = test_connect();
    test_call_inputs(client);
    test_unknown_workflow(client);
    tb_client_free(client);
    return 0;
}
