/* Any RPC by name, against the real dev server and Python SDK worker:
 * tb_rpc_methods (all, one service, an unknown one); tb_rpc_call in JSON mode
 * on RPCs no named function covers (GetSystemInfo, DescribeNamespace,
 * ListNamespaces, GetClusterInfo, DescribeTaskQueue with the worker's
 * pollers, the operator's ListSearchAttributes, the health check) and in raw
 * mode over JSON (base64); tb_rpc_call_bytes with raw protobuf bytes, with
 * and without options, and its bad input; JSON-mode errors (closest method
 * names, the path of a bad field, bad request shapes, unknown services); the
 * server's google.rpc.Status details of a duplicate start; tb_rpc_call_async. */
#include "tb_test.h"
#include "tb_json.h"

#include <pthread.h>

/* Sentinel for "not written": a real address no call would ever return. */
static char sentinel_storage;
#define SENTINEL ((char *)&sentinel_storage)
#define SENTINEL_BYTES ((uint8_t *)&sentinel_storage)
#define SENTINEL_LEN ((size_t)12345)

/* Most the worker may take to show up as a poller of its task queue. */
#define POLLER_SECONDS 20.0

/* How often `needle` occurs in `text`. */
static int count_occurrences(const char *text, const char *needle) {
    int count = 0;
    const char *at = text;
    while ((at = strstr(at, needle)) != NULL) {
        count++;
        at += strlen(needle);
    }
    return count;
}

/* ------------------------------------------------- bytes and base64 */

static int bytes_contain(const uint8_t *data, size_t len, const char *text) {
    size_t n = strlen(text), i;
    if (data == NULL || n > len) return 0;
    for (i = 0; i + n <= len; i++)
        if (memcmp(data + i, text, n) == 0) return 1;
    return 0;
}

static const char BASE64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64_encode(const uint8_t *data, size_t len, char *out, size_t size) {
    size_t i, o = 0;
    CHECK((len + 2) / 3 * 4 < size, "base64 buffer too small");
    for (i = 0; i < len; i += 3) {
        unsigned v = (unsigned)data[i] << 16;
        if (i + 1 < len) v |= (unsigned)data[i + 1] << 8;
        if (i + 2 < len) v |= data[i + 2];
        out[o++] = BASE64[(v >> 18) & 63];
        out[o++] = BASE64[(v >> 12) & 63];
        out[o++] = i + 1 < len ? BASE64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? BASE64[v & 63] : '=';
    }
    out[o] = '\0';
}

/* Decodes standard base64 (with padding) into `out`; the byte count, or -1. */
static long base64_decode(const char *text, size_t text_len, uint8_t *out, size_t size) {
    size_t i, o = 0;
    unsigned bits = 0;
    int have = 0;
    for (i = 0; i < text_len; i++) {
        const char *at;
        if (text[i] == '=') break;
        at = strchr(BASE64, text[i]);
        if (at == NULL || text[i] == '\0') return -1;
        bits = (bits << 6) | (unsigned)(at - BASE64);
        have += 6;
        if (have >= 8) {
            have -= 8;
            if (o >= size) return -1;
            out[o++] = (uint8_t)((bits >> have) & 0xff);
        }
    }
    return (long)o;
}

/* Reads a protobuf varint at data[*at]; 0 if it runs past `len`. */
static int read_varint(const uint8_t *data, size_t len, size_t *at, uint64_t *value) {
    int shift = 0;
    *value = 0;
    while (*at < len && shift < 64) {
        uint8_t byte = data[(*at)++];
        *value |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) return 1;
        shift += 7;
    }
    return 0;
}

/* Finds top-level length-delimited field `number` of a protobuf message;
 * 1 with its bytes at data[*start], *length long, or 0. */
static int proto_bytes_field(const uint8_t *data, size_t len, unsigned number, size_t *start,
                             size_t *length) {
    size_t at = 0;
    while (at < len) {
        uint64_t key, size;
        if (!read_varint(data, len, &at, &key)) return 0;
        switch (key & 7) {
        case 0: /* varint */
            if (!read_varint(data, len, &at, &size)) return 0;
            break;
        case 1: /* 64-bit */
            at += 8;
            break;
        case 2: /* length-delimited */
            if (!read_varint(data, len, &at, &size) || size > len - at) return 0;
            if ((key >> 3) == number) {
                *start = at;
                *length = (size_t)size;
                return 1;
            }
            at += (size_t)size;
            break;
        case 5: /* 32-bit */
            at += 4;
            break;
        default:
            return 0;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ helpers */

/* tb_rpc_call that must succeed; returns its response (tb_string_free). */
static char *rpc_ok(const TbClient *client, const char *request) {
    char *response = NULL, *error = NULL;
    TbStatus status = tb_rpc_call(client, request, NULL, &response, &error);
    if (status != TB_STATUS_OK)
        TB_FAIL("tb_rpc_call %s: %s: %s", request, tb_status_name(status), or_none(error));
    CHECK(response != NULL, "tb_rpc_call %s gave no response", request);
    CHECK(error == NULL, "tb_rpc_call wrote error_out on success");
    return response;
}

/* tb_rpc_call that must fail with `want`, naming `mention` (NULL: no check);
 * returns the error (tb_string_free). */
static char *rpc_error(const TbClient *client, const char *request, TbStatus want,
                       const char *mention) {
    char *response = SENTINEL, *error = NULL;
    TbStatus status = tb_rpc_call(client, request, NULL, &response, &error);
    CHECK(status == want, "tb_rpc_call %s: status %s, wanted %s; error: %s", or_none(request),
          tb_status_name(status), tb_status_name(want), or_none(error));
    CHECK_ERROR(status, want, error, mention);
    CHECK(response == SENTINEL, "tb_rpc_call wrote response_out on failure");
    return error;
}

/* The string at `"response"` then `key` of a JSON-mode response. */
static void response_string(const char *response, const char *key, char *out, size_t size) {
    if (!json_copy_string(json_path(response, "response", key, (const char *)NULL), out, size))
        TB_FAIL("no string response.%s in %s", key, response);
}

/* The server version from GetSystemInfo in JSON mode. */
static void server_version(const TbClient *client, char *out, size_t size) {
    char *response = rpc_ok(client, "{\"service\":\"workflow\",\"method\":\"GetSystemInfo\"}");
    response_string(response, "serverVersion", out, size);
    CHECK(out[0] != '\0', "empty serverVersion in %s", response);
    tb_string_free(response);
}

/* tb_rpc_call_bytes that must fail with `want`, naming `mention` (NULL: no
 * check), leaving response_out untouched. */
static void bytes_error(const TbClient *client, const char *service, const char *method,
                        const uint8_t *request, size_t request_len, const char *options,
                        TbStatus want, const char *mention) {
    TbBytes out;
    char *error = NULL;
    TbStatus status;
    out.data = SENTINEL_BYTES;
    out.len = SENTINEL_LEN;
    status = tb_rpc_call_bytes(client, service, method, request, request_len, options, NULL,
                               &out, &error);
    CHECK_ERROR(status, want, error, mention);
    CHECK(out.data == SENTINEL_BYTES && out.len == SENTINEL_LEN,
          "tb_rpc_call_bytes wrote response_out on failure");
    tb_string_free(error);
}

/* ---------------------------------------------------------- discovery */

static void test_methods(void) {
    char *response = NULL, *error = NULL;
    TbStatus status;
    int methods, operators;

    status = tb_rpc_methods(NULL, &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK(error == NULL, "error_out written on success");
    methods = json_array_length(json_member(response, "methods"));
    CHECK(methods > 150, "only %d methods listed", methods);
    CHECK(count_occurrences(response, "\"method\":\"") == methods,
          "%d methods but %d method names", methods,
          count_occurrences(response, "\"method\":\""));
    CHECK_HAS(response, "\"method\":\"DescribeTaskQueue\"");
    CHECK_HAS(response, "\"method\":\"ListSearchAttributes\"");
    CHECK_HAS(response, "\"method\":\"Check\"");
    CHECK_HAS(response, "\"request_type\":\"temporal.api.workflowservice.v1."
                        "DescribeTaskQueueRequest\"");
    CHECK_HAS(response, "\"repeat\":\"read_only\"");
    CHECK_HAS(response, "\"long_poll\":true");
    tb_string_free(response);

    response = NULL;
    status = tb_rpc_methods("operator", &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    operators = json_array_length(json_member(response, "methods"));
    CHECK(operators > 0 && operators < methods, "%d operator methods of %d", operators,
          methods);
    CHECK(count_occurrences(response, "\"service\":\"operator\"") == operators,
          "not only operator methods: %s", response);
    CHECK_HAS(response, "\"method\":\"ListSearchAttributes\"");
    CHECK(!json_has(response, "\"method\":\"DescribeTaskQueue\""),
          "a workflow method among the operator's: %s", response);
    tb_string_free(response);

    response = SENTINEL;
    status = tb_rpc_methods("nope", &response, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "unknown service");
    CHECK_HAS(error, "\"field\":\"service\"");
    CHECK(response == SENTINEL, "response_out written on failure");
    tb_string_free(error);

    /* error_out may be NULL. */
    CHECK(tb_rpc_methods("nope", NULL, NULL) == TB_STATUS_INVALID_ARGUMENT,
          "unknown service with NULL outputs");
    printf("ok - tb_rpc_methods lists %d methods (%d of the operator service); an unknown "
           "service is invalid_argument\n",
           methods, operators);
}

/* ---------------------------------------------------------- JSON mode */

static void test_json_mode(const TbClient *client) {
    const char *ns = test_namespace();
    const char *task_queue = test_env("TB_TASK_QUEUE");
    char request[1024], version[128], text[256];
    char *response;
    const char *at;
    int count;
    double deadline;

    server_version(client, version, sizeof version);

    snprintf(request, sizeof request,
             "{\"service\":\"workflow\",\"method\":\"DescribeNamespace\","
             "\"request\":{\"namespace\":\"%s\"}}",
             ns);
    response = rpc_ok(client, request);
    CHECK(json_copy_string(json_path(response, "response", "namespaceInfo", "name",
                                     (const char *)NULL),
                           text, sizeof text) &&
              strcmp(text, ns) == 0,
          "DescribeNamespace of %s: %s", ns, response);
    tb_string_free(response);

    /* snake_case method names and original field names are accepted too. */
    response = rpc_ok(client, "{\"service\":\"workflow\",\"method\":\"list_namespaces\","
                              "\"request\":{\"page_size\":50}}");
    at = json_path(response, "response", "namespaces", (const char *)NULL);
    count = json_array_length(at);
    CHECK(count > 0, "no namespaces listed: %s", response);
    snprintf(text, sizeof text, "\"name\":\"%s\"", ns);
    CHECK_HAS(at, text);
    tb_string_free(response);

    snprintf(request, sizeof request,
             "{\"service\":\"operator\",\"method\":\"ListSearchAttributes\","
             "\"request\":{\"namespace\":\"%s\"}}",
             ns);
    response = rpc_ok(client, request);
    at = json_path(response, "response", "systemAttributes", (const char *)NULL);
    CHECK(at != NULL && *at == '{', "no systemAttributes in %s", response);
    CHECK(json_copy_string(json_member(at, "WorkflowType"), text, sizeof text) &&
              strcmp(text, "INDEXED_VALUE_TYPE_KEYWORD") == 0,
          "WorkflowType is no keyword system attribute: %s", response);
    tb_string_free(response);

    response = rpc_ok(client, "{\"service\":\"health\",\"method\":\"Check\",\"request\":{}}");
    response_string(response, "status", text, sizeof text);
    CHECK(strcmp(text, "SERVING") == 0, "health Check: %s", response);
    tb_string_free(response);

    response = rpc_ok(client, "{\"service\":\"workflow\",\"method\":\"GetClusterInfo\"}");
    response_string(response, "clusterId", text, sizeof text);
    CHECK(text[0] != '\0', "empty clusterId: %s", response);
    CHECK(json_path(response, "response", "serverVersion", (const char *)NULL) != NULL,
          "no serverVersion in GetClusterInfo: %s", response);
    tb_string_free(response);

    /* The worker polls the suite's task queue: its pollers show (registered
     * as its polls arrive), with per-call headers on the way. */
    snprintf(request, sizeof request,
             "{\"service\":\"workflow\",\"method\":\"DescribeTaskQueue\","
             "\"request\":{\"namespace\":\"%s\",\"taskQueue\":{\"name\":\"%s\"},"
             "\"taskQueueType\":\"TASK_QUEUE_TYPE_WORKFLOW\"},"
             "\"headers\":{\"x-tb-test\":\"rpc\"}}",
             ns, task_queue);
    deadline = now_seconds() + POLLER_SECONDS;
    for (;;) {
        const char *first;
        response = rpc_ok(client, request);
        at = json_path(response, "response", "pollers", (const char *)NULL);
        count = json_array_length(at);
        if (count > 0) {
            first = json_first_element(at);
            CHECK(json_copy_string(json_member(first, "identity"), text, sizeof text) &&
                      text[0] != '\0',
                  "a poller without identity: %s", response);
            tb_string_free(response);
            break;
        }
        CHECK(now_seconds() < deadline, "no pollers on %s after %.0fs: %s", task_queue,
              POLLER_SECONDS, response);
        tb_string_free(response);
        sleep_seconds(0.5);
    }

    printf("ok - JSON mode: GetSystemInfo (server %s), DescribeNamespace, ListNamespaces, "
           "operator ListSearchAttributes, health Check, GetClusterInfo, DescribeTaskQueue "
           "(%d poller(s) of %s)\n",
           version, count, task_queue);
}

/* Raw mode through tb_rpc_call: base64 protobuf bytes in and out. */
static void test_json_raw_mode(const TbClient *client) {
    const char *ns = test_namespace();
    uint8_t message[256], reply[4096];
    char encoded[512], request[1024], version[128];
    char *response;
    const char *at, *end;
    size_t ns_len = strlen(ns), start = 0, length = 0;
    long got;

    server_version(client, version, sizeof version);

    /* DescribeNamespaceRequest: field 1, namespace. */
    CHECK(ns_len < 128, "namespace too long");
    message[0] = 0x0A;
    message[1] = (uint8_t)ns_len;
    memcpy(message + 2, ns, ns_len);
    base64_encode(message, ns_len + 2, encoded, sizeof encoded);
    snprintf(request, sizeof request,
             "{\"service\":\"workflow\",\"method\":\"DescribeNamespace\","
             "\"request_bytes\":\"%s\"}",
             encoded);
    response = rpc_ok(client, request);
    CHECK(json_member(response, "response") == NULL, "JSON response in raw mode: %s", response);
    at = json_member(response, "response_bytes");
    end = json_value_end(at);
    CHECK(at != NULL && *at == '"' && end != NULL, "no response_bytes in %s", response);
    got = base64_decode(at + 1, (size_t)(end - at - 2), reply, sizeof reply);
    CHECK(got > 0, "response_bytes not base64 or too long: %s", response);
    CHECK(bytes_contain(reply, (size_t)got, ns), "namespace %s not in the raw reply %s", ns,
          response);
    tb_string_free(response);

    /* An empty GetSystemInfoRequest; field 1 of the response: server_version. */
    response = rpc_ok(client, "{\"service\":\"workflow\",\"method\":\"GetSystemInfo\","
                              "\"request_bytes\":\"\"}");
    at = json_member(response, "response_bytes");
    end = json_value_end(at);
    CHECK(at != NULL && *at == '"' && end != NULL, "no response_bytes in %s", response);
    got = base64_decode(at + 1, (size_t)(end - at - 2), reply, sizeof reply);
    CHECK(got > 0 && proto_bytes_field(reply, (size_t)got, 1, &start, &length) &&
              length == strlen(version) && memcmp(reply + start, version, length) == 0,
          "server_version %s not field 1 of %s", version, response);
    tb_string_free(response);

    tb_string_free(rpc_error(client,
                             "{\"service\":\"workflow\",\"method\":\"GetSystemInfo\","
                             "\"request_bytes\":\"%%%\"}",
                             TB_STATUS_INVALID_ARGUMENT, "\"field\":\"request_bytes\""));
    tb_string_free(rpc_error(client,
                             "{\"service\":\"workflow\",\"method\":\"DescribeNamespace\","
                             "\"request_bytes\":\"//8=\"}",
                             TB_STATUS_INVALID_ARGUMENT, "\"field\":\"request_bytes\""));
    printf("ok - raw mode over JSON: base64 request_bytes in, response_bytes out "
           "(DescribeNamespace, GetSystemInfo); bad base64 and bad bytes refused\n");
}

/* ----------------------------------------------------------- raw bytes */

static void test_raw_bytes(const TbClient *client) {
    const char *ns = test_namespace();
    static const uint8_t garbage[] = {0xff, 0xff, 0xff};
    uint8_t message[256];
    char version[128];
    char *error = NULL;
    TbBytes out;
    TbStatus status;
    size_t start = 0, length = 0, ns_len = strlen(ns);

    server_version(client, version, sizeof version);

    out.data = SENTINEL_BYTES;
    out.len = SENTINEL_LEN;
    status = tb_rpc_call_bytes(client, "workflow", "GetSystemInfo", NULL, 0, NULL, NULL, &out,
                               &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK(error == NULL, "error_out written on success");
    CHECK(out.len > 0 && out.data != NULL && out.data != SENTINEL_BYTES,
          "no bytes from GetSystemInfo (len %zu)", out.len);
    CHECK(proto_bytes_field(out.data, out.len, 1, &start, &length) &&
              length == strlen(version) && memcmp(out.data + start, version, length) == 0,
          "server_version %s is not field 1 of the %zu raw bytes", version, out.len);
    CHECK(out.data[0] == 0x0A && (size_t)out.data[1] == strlen(version) &&
              bytes_contain(out.data, out.len, version),
          "raw GetSystemInfo does not start with server_version %s", version);
    tb_bytes_free(out);

    /* With options: deadline and this call's metadata. */
    out.data = NULL;
    out.len = 0;
    status = tb_rpc_call_bytes(client, "workflow", "GetSystemInfo", NULL, 0,
                               "{\"call_timeout\":\"5s\",\"headers\":{\"x-test\":\"1\"}}", NULL,
                               &out, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK(out.len > 0 && bytes_contain(out.data, out.len, version),
          "raw GetSystemInfo with options: %zu bytes without %s", out.len, version);
    tb_bytes_free(out);

    /* A request with content, and the service's full name. */
    CHECK(ns_len < 128, "namespace too long");
    message[0] = 0x0A;
    message[1] = (uint8_t)ns_len;
    memcpy(message + 2, ns, ns_len);
    out.data = NULL;
    out.len = 0;
    status = tb_rpc_call_bytes(client, "temporal.api.workflowservice.v1.WorkflowService",
                               "DescribeNamespace", message, ns_len + 2,
                               "{\"rpc_timeout\":\"10s\"}", NULL, &out, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    /* DescribeNamespaceResponse.namespace_info (1) .name (1). */
    {
        size_t info_start = 0, info_len = 0;
        CHECK(proto_bytes_field(out.data, out.len, 1, &info_start, &info_len) &&
                  proto_bytes_field(out.data + info_start, info_len, 1, &start, &length) &&
                  length == ns_len && memcmp(out.data + info_start + start, ns, ns_len) == 0,
              "namespace_info.name of the raw DescribeNamespace reply is not %s", ns);
    }
    tb_bytes_free(out);

    /* An empty TbBytes is fine to free. */
    out.data = NULL;
    out.len = 0;
    tb_bytes_free(out);

    /* Bad input: nothing written to response_out. */
    bytes_error(client, "workflow", "DescribeNamespace", garbage, sizeof garbage, NULL,
                TB_STATUS_INVALID_ARGUMENT, "\"field\":\"request_bytes\"");
    bytes_error(client, "workflow", "GetSystemInfo", NULL, 3, NULL, TB_STATUS_INVALID_ARGUMENT,
                "request is NULL");
    bytes_error(NULL, "workflow", "GetSystemInfo", NULL, 0, NULL, TB_STATUS_INVALID_ARGUMENT,
                "client is NULL");
    bytes_error(client, NULL, "GetSystemInfo", NULL, 0, NULL, TB_STATUS_INVALID_ARGUMENT,
                "service is NULL");
    bytes_error(client, "workflow", NULL, NULL, 0, NULL, TB_STATUS_INVALID_ARGUMENT,
                "method is NULL");
    bytes_error(client, "flow", "GetSystemInfo", NULL, 0, NULL, TB_STATUS_INVALID_ARGUMENT,
                "unknown service");
    bytes_error(client, "workflow", "GetSystemInfoo", NULL, 0, NULL,
                TB_STATUS_INVALID_ARGUMENT, "closest: GetSystemInfo");
    bytes_error(client, "workflow", "GetSystemInfo", NULL, 0, "{\"bogus\":1}",
                TB_STATUS_INVALID_ARGUMENT, "bogus");
    bytes_error(client, "workflow", "GetSystemInfo", NULL, 0, "{\"call_timeout\":\"soon\"}",
                TB_STATUS_INVALID_ARGUMENT, "call_timeout");
    bytes_error(client, "workflow", "GetSystemInfo", NULL, 0, "[1]",
                TB_STATUS_INVALID_ARGUMENT, NULL);
    bytes_error(client, "workflow", "GetSystemInfo", NULL, 0,
                "{\"headers\":{\"bad header\":\"x\"}}", TB_STATUS_INVALID_ARGUMENT,
                "\"field\":\"headers\"");

    /* response_out is required. */
    status = tb_rpc_call_bytes(client, "workflow", "GetSystemInfo", NULL, 0, NULL, NULL, NULL,
                               &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "response_out is NULL");
    tb_string_free(error);
    error = NULL;
    /* error_out may be NULL. */
    CHECK(tb_rpc_call_bytes(NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL) ==
              TB_STATUS_INVALID_ARGUMENT,
          "all-NULL tb_rpc_call_bytes");

    printf("ok - tb_rpc_call_bytes: raw GetSystemInfo (server_version in field 1), with "
           "options, raw DescribeNamespace; garbage bytes, NULL request with a length, NULL "
           "client/service/method/response_out and bad options are invalid_argument\n");
}

/* ------------------------------------------------------ JSON-mode errors */

static void test_json_errors(const TbClient *client) {
    char *error;

    error = rpc_error(client,
                      "{\"service\":\"workflow\",\"method\":\"DescribeTaskQueu\",\"request\":{}}",
                      TB_STATUS_INVALID_ARGUMENT, "closest: DescribeTaskQueue");
    CHECK_HAS(error, "\"field\":\"method\"");
    CHECK_HAS(error, "DescribeTaskQueu");
    tb_string_free(error);

    error = rpc_error(client,
                      "{\"service\":\"operator\",\"method\":\"ListSearchAttribute\"}",
                      TB_STATUS_INVALID_ARGUMENT, "ListSearchAttributes");
    CHECK_HAS(error, "closest:");
    tb_string_free(error);

    tb_string_free(rpc_error(client,
                             "{\"service\":\"workflow\",\"method\":\"DescribeTaskQueue\","
                             "\"request\":{\"taskQueue\":{\"kind\":\"NOPE\"}}}",
                             TB_STATUS_INVALID_ARGUMENT,
                             "\"field\":\"request.taskQueue.kind\""));
    tb_string_free(rpc_error(client,
                             "{\"service\":\"workflow\",\"method\":\"DescribeTaskQueue\","
                             "\"request\":{\"taskQueue\":{\"name\":[\"q\"]}}}",
                             TB_STATUS_INVALID_ARGUMENT,
                             "\"field\":\"request.taskQueue.name\""));
    tb_string_free(rpc_error(client,
                             "{\"service\":\"workflow\",\"method\":\"GetSystemInfo\","
                             "\"request\":{\"nope\":1}}",
                             TB_STATUS_INVALID_ARGUMENT, "nope"));
    tb_string_free(rpc_error(client,
                             "{\"service\":\"workflow\",\"method\":\"GetSystemInfo\","
                             "\"request\":[1]}",
                             TB_STATUS_INVALID_ARGUMENT, "\"field\":\"request\""));
    tb_string_free(rpc_error(client,
                             "{\"service\":\"workflow\",\"method\":\"GetSystemInfo\","
                             "\"request\":{},\"request_bytes\":\"\"}",
                             TB_STATUS_INVALID_ARGUMENT, "\"field\":\"request_bytes\""));
    tb_string_free(rpc_error(client,
                             "{\"service\":\"flow\",\"method\":\"GetSystemInfo\"}",
                             TB_STATUS_INVALID_ARGUMENT, "unknown service"));
    tb_string_free(rpc_error(client, "{\"service\":\"health\",\"method\":\"Watch\"}",
                             TB_STATUS_INVALID_ARGUMENT, "unary"));
    tb_string_free(rpc_error(client,
                             "{\"service\":\"workflow\",\"method\":\"GetSystemInfo\","
                             "\"headers\":{\"bad header\":\"x\"}}",
                             TB_STATUS_INVALID_ARGUMENT, "\"field\":\"headers\""));
    tb_string_free(rpc_error(client,
                             "{\"service\":\"workflow\",\"method\":\"GetSystemInfo\","
                             "\"bogus_field\":1}",
                             TB_STATUS_INVALID_ARGUMENT, "bogus_field"));
    tb_string_free(rpc_error(client, "{\"method\":\"GetSystemInfo\"}",
                             TB_STATUS_INVALID_ARGUMENT, "service"));
    tb_string_free(rpc_error(client, "{\"service\":\"workflow\",\"method\":",
                             TB_STATUS_INVALID_ARGUMENT, "not valid JSON"));
    tb_string_free(rpc_error(client, "[]", TB_STATUS_INVALID_ARGUMENT, "must be a JSON object"));
    tb_string_free(rpc_error(client, NULL, TB_STATUS_INVALID_ARGUMENT, "request_json is NULL"));
    tb_string_free(rpc_error(NULL, "{\"service\":\"workflow\",\"method\":\"GetSystemInfo\"}",
                             TB_STATUS_INVALID_ARGUMENT, "client is NULL"));
    printf("ok - JSON-mode errors: unknown methods name the closest, bad fields their path, "
           "non-object requests, request with request_bytes, unknown services, streaming "
           "methods, bad headers, unknown fields, NULLs\n");
}

/* ------------------------------------------------------- gRPC details */

static void test_grpc_details(const TbClient *client) {
    const char *ns = test_namespace();
    char workflow_id[128], idle_queue[160], request[1024], run_id[128], text[256];
    char *response, *error;
    const char *detail;

    unique_id("rpc-dup", workflow_id, sizeof workflow_id);
    unique_id("rpc-idle", idle_queue, sizeof idle_queue);
#define START_REQUEST(request_id)                                                       \
    snprintf(request, sizeof request,                                                  \
             "{\"service\":\"workflow\",\"method\":\"StartWorkflowExecution\","         \
             "\"request\":{\"namespace\":\"%s\",\"workflowId\":\"%s\","                 \
             "\"workflowType\":{\"name\":\"MySimpleWorkflow\"},"                        \
             "\"taskQueue\":{\"name\":\"%s\"},\"requestId\":\"%s\"}}",                  \
             ns, workflow_id, idle_queue, request_id)

    START_REQUEST("c-rpc-request-a");
    response = rpc_ok(client, request);
    response_string(response, "runId", run_id, sizeof run_id);
    tb_string_free(response);

    /* The same request ID is the same start: the server answers it again. */
    response = rpc_ok(client, request);
    response_string(response, "runId", text, sizeof text);
    CHECK(strcmp(text, run_id) == 0, "the repeated start answered run %s, not %s", text,
          run_id);
    tb_string_free(response);

    START_REQUEST("c-rpc-request-b");
#undef START_REQUEST
    error = rpc_error(client, request, TB_STATUS_ALREADY_STARTED, NULL);
    detail = json_first_element(json_path(error, "details", "grpc_details", (const char *)NULL));
    CHECK(detail != NULL, "no grpc_details array in %s", error);
    CHECK(json_copy_string(json_member(detail, "@type"), text, sizeof text), "no @type in %s",
          error);
    {
        static const char suffix[] = "WorkflowExecutionAlreadyStartedFailure";
        size_t n = strlen(text);
        CHECK(n >= sizeof suffix - 1 && strcmp(text + n - (sizeof suffix - 1), suffix) == 0,
              "@type %s of the first detail in %s", text, error);
    }
    CHECK(json_copy_string(json_member(detail, "runId"), text, sizeof text) &&
              strcmp(text, run_id) == 0,
          "the detail's runId is not %s: %s", run_id, error);
    tb_string_free(error);

    /* Clean up by RPC too. */
    snprintf(request, sizeof request,
             "{\"service\":\"workflow\",\"method\":\"TerminateWorkflowExecution\","
             "\"request\":{\"namespace\":\"%s\",\"workflowExecution\":{\"workflowId\":\"%s\"},"
             "\"reason\":\"c rpc test cleanup\"}}",
             ns, workflow_id);
    response = rpc_ok(client, request);
    CHECK(json_copy_value(json_member(response, "response"), text, sizeof text),
          "TerminateWorkflowExecution: %s", response);
    tb_string_free(response);
    describe_status(client, workflow_id, text, sizeof text);
    CHECK(strcmp(text, "terminated") == 0, "workflow %s is %s after terminate", workflow_id,
          text);
    printf("ok - StartWorkflowExecution twice by RPC: already_started with the server's "
           "WorkflowExecutionAlreadyStartedFailure in grpc_details; TerminateWorkflowExecution\n");
}

/* -------------------------------------------------------------- async */

struct outcome {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t caller;
    int calls;
    int on_caller_thread;
    TbStatus status;
    char *response;
    char *error;
};

static char *copy_or_null(const char *text) {
    char *copy;
    size_t n;
    if (text == NULL) return NULL;
    n = strlen(text) + 1;
    copy = (char *)malloc(n);
    CHECK(copy != NULL, "out of memory");
    memcpy(copy, text, n);
    return copy;
}

/* A TbCallCallback: the lent strings are copied, never freed. */
static void outcome_callback(void *user_data, TbStatus status, const char *response_json,
                             const char *error_json) {
    struct outcome *o = (struct outcome *)user_data;
    pthread_mutex_lock(&o->lock);
    o->calls += 1;
    if (o->calls == 1) {
        o->status = status;
        o->response = copy_or_null(response_json);
        o->error = copy_or_null(error_json);
        o->on_caller_thread = pthread_equal(pthread_self(), o->caller);
    }
    pthread_cond_broadcast(&o->changed);
    pthread_mutex_unlock(&o->lock);
}

static void outcome_init(struct outcome *o) {
    memset(o, 0, sizeof *o);
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->changed, NULL);
    o->caller = pthread_self();
    o->status = TB_STATUS_INTERNAL;
}

/* Waits at most `seconds` for the callback; checks it came once, off the
 * caller's thread. */
static void outcome_wait(struct outcome *o, double seconds, const char *what) {
    struct timespec until = deadline_after(seconds);
    pthread_mutex_lock(&o->lock);
    while (o->calls == 0)
        if (pthread_cond_timedwait(&o->changed, &o->lock, &until) != 0) break;
    CHECK(o->calls == 1, "%s: callback ran %d times within %.0fs", what, o->calls, seconds);
    CHECK(!o->on_caller_thread, "%s: callback ran on the caller's thread", what);
    CHECK((o->status == TB_STATUS_OK) == (o->response != NULL) &&
              (o->status == TB_STATUS_OK) != (o->error != NULL),
          "%s: status %s with response %s, error %s", what, tb_status_name(o->status),
          or_none(o->response), or_none(o->error));
    pthread_mutex_unlock(&o->lock);
}

static void outcome_destroy(struct outcome *o) {
    pthread_mutex_lock(&o->lock);
    CHECK(o->calls == 1, "the callback ran %d times", o->calls);
    pthread_mutex_unlock(&o->lock);
    free(o->response);
    free(o->error);
    pthread_mutex_destroy(&o->lock);
    pthread_cond_destroy(&o->changed);
}

static void test_async(const TbClient *client) {
    struct outcome ok, bad;
    char version[128], text[128];
    char request[] = "{\"service\":\"workflow\",\"method\":\"GetSystemInfo\"}";

    server_version(client, version, sizeof version);

    outcome_init(&ok);
    CHECK_STATUS(tb_rpc_call_async(client, request, NULL, outcome_callback, &ok), TB_STATUS_OK,
                 "(scheduling)");
    memset(request, 'x', sizeof request - 1); /* copied before the call returned */
    outcome_init(&bad);
    CHECK_STATUS(tb_rpc_call_async(client,
                                   "{\"service\":\"workflow\",\"method\":\"GetSystemInfoo\"}",
                                   NULL, outcome_callback, &bad),
                 TB_STATUS_OK, "(scheduling)");
    CHECK(tb_rpc_call_async(client, "{}", NULL, NULL, NULL) == TB_STATUS_INVALID_ARGUMENT,
          "tb_rpc_call_async accepted a NULL callback");

    outcome_wait(&ok, 30.0, "tb_rpc_call_async GetSystemInfo");
    CHECK_STATUS(ok.status, TB_STATUS_OK, ok.error);
    response_string(ok.response, "serverVersion", text, sizeof text);
    CHECK(strcmp(text, version) == 0, "async serverVersion %s, blocking %s", text, version);

    outcome_wait(&bad, 30.0, "tb_rpc_call_async unknown method");
    CHECK_ERROR(bad.status, TB_STATUS_INVALID_ARGUMENT, bad.error, "closest: GetSystemInfo");

    outcome_destroy(&ok);
    outcome_destroy(&bad);
    printf("ok - tb_rpc_call_async: GetSystemInfo and an unknown method reach their callback "
           "once, on a library thread\n");
}

int main(void) {
    TbClient *client;
    test_methods();
    client = test_connect();
    test_json_mode(client);
    test_json_raw_mode(client);
    test_raw_bytes(client);
    test_json_errors(client);
    test_grpc_details(client);
    test_async(client);
    tb_client_free(client);
    return 0;
}
