/* Client metrics from C: turned on once per process with a Prometheus
 * endpoint and a callback meter, counted for a known mix of calls and a
 * failure, read back as a snapshot, scraped over HTTP and seen by the
 * callback as they were made; bad options refused by name. */
#include "tb_test.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* GET /metrics from `address` ("127.0.0.1:PORT"); the whole response. */
static char *scrape(const char *address) {
    char host[64];
    int port = 0;
    struct sockaddr_in to;
    static char response[1 << 16];
    size_t got = 0;
    ssize_t n;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    const char *request = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
    CHECK(sscanf(address, "%63[^:]:%d", host, &port) == 2, "address %s", address);
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)port);
    CHECK(inet_pton(AF_INET, host, &to.sin_addr) == 1, "host %s", host);
    CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&to, sizeof to) == 0, "connect to %s", address);
    CHECK(write(fd, request, strlen(request)) == (ssize_t)strlen(request), "write");
    while ((n = read(fd, response + got, sizeof response - 1 - got)) > 0) got += (size_t)n;
    close(fd);
    response[got] = '\0';
    return response;
}

/* The host's meter: what the callback was handed (from library threads). */
#define MAX_RECORDS 256
static struct {
    pthread_mutex_t lock;
    size_t count;
    struct {
        char name[64], unit[8], labels[512];
        uint32_t kind;
        double value;
    } records[MAX_RECORDS];
} meter = {PTHREAD_MUTEX_INITIALIZER, 0, {{{0}, {0}, {0}, 0, 0}}};

static void on_metric(void *user_data, const char *name, uint32_t kind, double value,
                      const char *unit, const char *labels_json) {
    CHECK(user_data == &meter, "user_data not handed back");
    pthread_mutex_lock(&meter.lock);
    if (meter.count < MAX_RECORDS) {
        snprintf(meter.records[meter.count].name, sizeof meter.records[0].name, "%s", name);
        snprintf(meter.records[meter.count].unit, sizeof meter.records[0].unit, "%s", unit);
        snprintf(meter.records[meter.count].labels, sizeof meter.records[0].labels, "%s",
                 labels_json);
        meter.records[meter.count].kind = kind;
        meter.records[meter.count].value = value;
        meter.count++;
    }
    pthread_mutex_unlock(&meter.lock);
}

/* How many records of `name` and `kind` with labels holding `label` the
 * meter got, and the sum of their values. */
static size_t metered(const char *name, uint32_t kind, const char *label, double *sum) {
    size_t n = 0;
    *sum = 0;
    pthread_mutex_lock(&meter.lock);
    for (size_t i = 0; i < meter.count; i++) {
        if (strcmp(meter.records[i].name, name) == 0 && meter.records[i].kind == kind &&
            strstr(meter.records[i].labels, label) != NULL) {
            CHECK(strcmp(meter.records[i].unit, kind == 2 ? "ms" : "") == 0, "unit %s of %s",
                  meter.records[i].unit, name);
            CHECK_HAS(meter.records[i].labels, "\"app\":\"c-metrics\"");
            n++;
            *sum += meter.records[i].value;
        }
    }
    pthread_mutex_unlock(&meter.lock);
    return n;
}

int main(void) {
    TbClient *client;
    char *info = NULL, *error = NULL, *snapshot = NULL, *response;
    char address[64];
    TbStatus status;

    /* Off until configured: an empty snapshot. */
    status = tb_metrics_snapshot(&snapshot, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK(strcmp(snapshot, "[]") == 0, "snapshot while off: %s", snapshot);
    tb_string_free(snapshot);

    status = tb_metrics_configure(NULL, &info, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "options_json is NULL");
    tb_string_free(error), error = NULL;
    status = tb_metrics_configure("{\"prometheus\":\"127.0.0.1:0\",\"colour\":1}", &info, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "colour");
    tb_string_free(error), error = NULL;
    status = tb_metrics_configure("{\"global_tags\":{\"a-b\":\"x\"}}", &info, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "label name");
    tb_string_free(error), error = NULL;

    status = tb_metrics_configure_with_callback("{}", NULL, &meter, &info, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "callback is NULL");
    tb_string_free(error), error = NULL;

    status = tb_metrics_configure_with_callback(
        "{\"prometheus\":\"127.0.0.1:0\",\"global_tags\":{\"app\":\"c-metrics\"}}", on_metric,
        &meter, &info, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK(json_string_field(info, "prometheus", address, sizeof address), "no address in %s", info);
    tb_string_free(info);
    status = tb_metrics_configure("{}", NULL, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "already configured");
    tb_string_free(error), error = NULL;

    client = test_connect();
    tb_string_free(call_ok(client, "count_workflows", "{}"));
    tb_string_free(call_ok(client, "count_workflows", "{}"));
    status = tb_workflow_describe(client, "{\"workflow_id\":\"no-such-workflow\"}", NULL, NULL,
                                  &error);
    CHECK_STATUS(status, TB_STATUS_NOT_FOUND, error);
    tb_string_free(error), error = NULL;

    status = tb_metrics_snapshot(&snapshot, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK_HAS(snapshot, "{\"name\":\"temporal_request\",\"kind\":\"counter\",\"labels\":{\"app\":"
                        "\"c-metrics\",\"namespace\":\"default\",\"operation\":"
                        "\"CountWorkflowExecutions\",\"service_name\":\"temporal-bridge\"},"
                        "\"value\":2}");
    CHECK_HAS(snapshot, "\"operation\":\"DescribeWorkflowExecution\",\"service_name\":"
                        "\"temporal-bridge\",\"status_code\":\"NOT_FOUND\"},\"value\":1}");
    CHECK_HAS(snapshot, "\"name\":\"temporal_request_latency\",\"kind\":\"histogram\"");
    tb_string_free(snapshot);

    response = scrape(address);
    CHECK_HAS(response, "200 OK");
    CHECK_HAS(response, "# TYPE temporal_request counter");
    CHECK_HAS(response, "temporal_request{app=\"c-metrics\",namespace=\"default\",operation="
                        "\"CountWorkflowExecutions\",service_name=\"temporal-bridge\"} 2\n");
    CHECK_HAS(response, "temporal_request_failure{app=\"c-metrics\",namespace=\"default\","
                        "operation=\"DescribeWorkflowExecution\",service_name=\"temporal-bridge\","
                        "status_code=\"NOT_FOUND\"} 1\n");

    /* The callback meter was handed each measurement as it was made. */
    double sum;
    CHECK(metered("temporal_request", 1, "\"operation\":\"CountWorkflowExecutions\"", &sum) == 2 &&
              sum == 2,
          "two count_workflows counter records");
    CHECK(metered("temporal_request_latency", 2, "\"operation\":\"CountWorkflowExecutions\"",
                  &sum) == 2 &&
              sum > 0,
          "two latency observations in ms");
    CHECK(metered("temporal_request_failure", 1, "\"status_code\":\"NOT_FOUND\"", &sum) == 1,
          "one NOT_FOUND failure record");
    tb_client_free(client);
    printf("test_metrics: ok\n");
    return 0;
}
