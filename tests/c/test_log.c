/* The library's log records through a C callback: the attempts against a
 * server that is not there fail with their cause and are retried, the
 * connect to the real one is recorded, nothing secret appears, and once
 * logging is turned off the callback is not called again. Bad levels are
 * refused by name. */
#include "tb_test.h"

#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#define SECRET "s3cr3t-c-header"

struct collector {
    pthread_mutex_t lock;
    int calls;
    char text[1 << 16];
};

static void collect(void *user_data, uint32_t level, const char *target, const char *message,
                    const char *fields_json, int64_t unix_ms) {
    struct collector *c = (struct collector *)user_data;
    char line[2048];
    CHECK(level >= 1 && level <= 5, "level %u", level);
    CHECK(unix_ms > 1700000000000LL, "timestamp %lld", (long long)unix_ms);
    snprintf(line, sizeof line, "%u %s %s %s\n", level, target, message, fields_json);
    pthread_mutex_lock(&c->lock);
    c->calls++;
    if (strlen(c->text) + strlen(line) < sizeof c->text) strcat(c->text, line);
    pthread_mutex_unlock(&c->lock);
}

/* A loopback port nothing listens on. */
static int closed_port(void) {
    struct sockaddr_in at;
    socklen_t size = sizeof at;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;
    memset(&at, 0, sizeof at);
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(fd, (struct sockaddr *)&at, sizeof at) == 0, "bind");
    CHECK(getsockname(fd, (struct sockaddr *)&at, &size) == 0, "getsockname");
    port = ntohs(at.sin_port);
    close(fd);
    return port;
}

static int has(struct collector *c, const char *needle) {
    int found;
    pthread_mutex_lock(&c->lock);
    found = strstr(c->text, needle) != NULL;
    pthread_mutex_unlock(&c->lock);
    return found;
}

/* Waits (the log thread delivers in the background) until `needle` was logged. */
static void wait_for(struct collector *c, const char *needle) {
    double limit = now_seconds() + 10;
    while (!has(c, needle)) {
        CHECK(now_seconds() < limit, "never logged %s; got:\n%s", needle, c->text);
        sleep_seconds(0.02);
    }
}

int main(void) {
    static struct collector c = {PTHREAD_MUTEX_INITIALIZER, 0, ""};
    char options[512], *error = NULL;
    TbClient *nowhere = NULL, *client = NULL;
    TbStatus status;
    int calls;

    status = tb_log_configure(collect, &c, "loud", &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, "loud");
    tb_string_free(error), error = NULL;
    status = tb_log_configure(collect, &c, "info", &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);

    /* Nothing listens there: each attempt fails to connect, and is retried. */
    snprintf(options, sizeof options,
             "{\"target\":\"127.0.0.1:%d\",\"lazy\":true,\"headers\":{\"x-team-token\":\"" SECRET
             "\"},\"retry\":{\"max_attempts\":3,\"initial_interval\":0.05}}",
             closed_port());
    status = tb_client_connect(options, &nowhere, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    status = tb_client_call(nowhere, "count_workflows", "{\"call_timeout\":\"5s\"}", NULL, NULL,
                            &error);
    CHECK_STATUS(status, TB_STATUS_UNAVAILABLE, error);
    tb_string_free(error), error = NULL;
    tb_client_free(nowhere);
    wait_for(&c, "CountWorkflowExecutions attempt 1 failed (UNAVAILABLE: could not connect");
    wait_for(&c, "CountWorkflowExecutions attempt 2 failed");
    wait_for(&c, "\"status_code\":\"UNAVAILABLE\"");
    wait_for(&c, "2 temporal_bridge::transport could not connect: 127.0.0.1:");

    /* The real server: connected (info). */
    client = test_connect();
    wait_for(&c, "3 temporal_bridge::client connected to ");
    CHECK(!has(&c, SECRET), "a secret reached the log:\n%s", c.text);

    /* Off: once this returns, the callback is not called again. */
    status = tb_log_configure(NULL, NULL, NULL, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    pthread_mutex_lock(&c.lock);
    calls = c.calls;
    pthread_mutex_unlock(&c.lock);
    tb_client_free(client);
    client = test_connect();
    sleep_seconds(0.2);
    pthread_mutex_lock(&c.lock);
    CHECK(c.calls == calls, "logged after logging was turned off");
    pthread_mutex_unlock(&c.lock);
    tb_client_free(client);
    printf("test_log: ok\n");
    return 0;
}
