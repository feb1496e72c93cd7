/* The library's log records through a C callback: the attempts against a
 * server that is not there fail with their cause and are retried, the
 * connect to the real one is recorded, nothing secret appears, and once
 * logging is turned off the callback is not called again. Bad levels are
 * refused by name.
 *
 * Then a real restart: a dev server of our own (tests/harness/devenv.py, run
 * with TB_PYTHON; the script is TB_DEVENV) is stopped while a client is
 * connected and started again on the same port with the same SQLite file.
 * A call made while it is down is retried (each failed attempt logged with
 * its cause, each refused connect by the transport) until the new server
 * answers: the reconnect is logged, and so is the call, as slow. */
#include "tb_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define SECRET "s3cr3t-c-header"

struct collector {
    pthread_mutex_t lock;
    int calls;
    char text[1 << 18]; /* a restart's retries log a few hundred lines */
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

/* Waits (the log thread delivers in the background) at most `seconds` until
 * `needle` was logged. */
static void wait_for_within(struct collector *c, const char *needle, double seconds) {
    double limit = now_seconds() + seconds;
    while (!has(c, needle)) {
        CHECK(now_seconds() < limit, "never logged %s; got:\n%s", needle, c->text);
        sleep_seconds(0.02);
    }
}

static void wait_for(struct collector *c, const char *needle) { wait_for_within(c, needle, 10); }

/* Forgets what was logged so far (the next part's checks see only its own). */
static void forget(struct collector *c) {
    pthread_mutex_lock(&c->lock);
    c->text[0] = '\0';
    pthread_mutex_unlock(&c->lock);
}

/* Copies the first logged line that contains `needle` (without its newline)
 * into `out`; 0 if there is none. */
static int line_with(struct collector *c, const char *needle, char *out, size_t size) {
    const char *at, *start, *end;
    int found = 0;
    pthread_mutex_lock(&c->lock);
    at = strstr(c->text, needle);
    if (at != NULL) {
        for (start = at; start > c->text && start[-1] != '\n'; start--) continue;
        end = strchr(at, '\n');
        if (end == NULL) end = at + strlen(at);
        snprintf(out, size, "%.*s", (int)(end - start), start);
        found = 1;
    }
    pthread_mutex_unlock(&c->lock);
    return found;
}

/* The largest "elapsed_ms" of the lines logged after the first one with
 * `after` that contain all of `needles` (NULL-terminated); -1 if there is
 * none. Records come one at a time, in order, so "after" is "later". */
static long long max_elapsed_ms(struct collector *c, const char *after,
                                const char *const *needles) {
    const char *line, *end;
    char copy[2048];
    long long best = -1, ms;
    size_t i;
    pthread_mutex_lock(&c->lock);
    line = strstr(c->text, after);
    for (line = line ? line : ""; *line != '\0'; line = *end ? end + 1 : end) {
        end = strchr(line, '\n');
        if (end == NULL) end = line + strlen(line);
        snprintf(copy, sizeof copy, "%.*s", (int)(end - line), line);
        for (i = 0; needles[i] != NULL && strstr(copy, needles[i]) != NULL; i++) continue;
        if (needles[i] == NULL && json_integer_field(copy, "elapsed_ms", &ms) && ms > best)
            best = ms;
    }
    pthread_mutex_unlock(&c->lock);
    return best;
}

/* ---- A dev server of our own, to stop and start again ---------------------- */

/* Generous: a dev server can take a minute to start on a small machine, and
 * the test itself may be running under valgrind. */
#define DEVENV_START_SECONDS 150.0
#define DEVENV_STOP_SECONDS 60.0

/* One running devenv.py: it runs until the write end of its stdin pipe is
 * closed (so the server also goes away if this program dies). */
struct devenv {
    pid_t pid;     /* 0: not running */
    int stdin_fd;  /* our (write) end of its stdin */
    int stdout_fd; /* our (read) end of its stdout, where its JSON line comes */
    char target[128];
};

static struct devenv server = {0, -1, -1, ""};
static char scratch_dir[512]; /* the SQLite file's; "" until made */

static void set_cloexec(int fd) {
    CHECK(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0, "fcntl: %s", strerror(errno));
}

/* Reads devenv's one stdout line into `line` within `seconds`; 0 on EOF or
 * timeout. */
static int read_line(int fd, char *line, size_t size, double seconds) {
    double limit = now_seconds() + seconds;
    size_t used = 0;
    while (used + 1 < size) {
        struct pollfd ready = {fd, POLLIN, 0};
        double left = limit - now_seconds();
        ssize_t got;
        if (left <= 0) return 0;
        if (poll(&ready, 1, (int)(left * 1000) + 1) < 0) {
            if (errno == EINTR) continue;
            return 0;
        }
        if (ready.revents == 0) continue;
        got = read(fd, line + used, 1);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return 0;
        if (line[used] == '\n') break;
        used++;
    }
    line[used] = '\0';
    return 1;
}

/* Waits at most `seconds` for `pid` to end; its wait status, -1 if it is
 * still running, -2 if waitpid failed (no CHECK: this also runs at exit). */
static int wait_exit(pid_t pid, double seconds) {
    double limit = now_seconds() + seconds;
    int status;
    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) return status;
        if (done < 0 && errno != EINTR) return -2;
        if (now_seconds() >= limit) return -1;
        sleep_seconds(0.05);
    }
}

/* Stops the devenv politely (EOF on its stdin: it stops the server, waits for
 * it and exits 0), else with SIGTERM, else SIGKILL. Its wait status. */
static int stop_devenv(struct devenv *env) {
    int status;
    close(env->stdin_fd);
    status = wait_exit(env->pid, DEVENV_STOP_SECONDS);
    if (status == -1) {
        fprintf(stderr, "test_log: devenv %ld did not stop; SIGTERM\n", (long)env->pid);
        kill(env->pid, SIGTERM);
        status = wait_exit(env->pid, 15);
    }
    if (status == -1) {
        fprintf(stderr, "test_log: devenv %ld did not stop; SIGKILL\n", (long)env->pid);
        kill(env->pid, SIGKILL);
        status = wait_exit(env->pid, DEVENV_STOP_SECONDS);
    }
    close(env->stdout_fd);
    env->pid = 0, env->stdin_fd = env->stdout_fd = -1;
    return status;
}

/* Starts `python devenv.py --no-worker --port PORT --db-filename DB` and waits
 * for its JSON line, which gives the target. */
static void start_devenv(struct devenv *env, const char *python, const char *script, int port,
                         const char *db) {
    char port_text[16], line[2048];
    /* Made before fork: the child only calls async-signal-safe functions. */
    char *argv[] = {(char *)python,  (char *)script,        (char *)"--no-worker",
                    (char *)"--port", port_text,            (char *)"--db-filename",
                    (char *)db,       NULL};
    int in[2], out[2];
    pid_t pid;
    snprintf(port_text, sizeof port_text, "%d", port);
    CHECK(pipe(in) == 0 && pipe(out) == 0, "pipe: %s", strerror(errno));
    /* None of the four may leak into a later child (the other devenv): our
     * write end would then never reach EOF. */
    set_cloexec(in[0]), set_cloexec(in[1]), set_cloexec(out[0]), set_cloexec(out[1]);
    pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* dup2's copies are not close-on-exec (unless the fd was already
         * there, hence the fcntl); the originals close at exec. stderr stays
         * ours, for devenv's diagnostics. */
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0) _exit(126);
        fcntl(0, F_SETFD, 0), fcntl(1, F_SETFD, 0);
        execv(python, argv);
        _exit(127);
    }
    close(in[0]), close(out[1]);
    env->pid = pid, env->stdin_fd = in[1], env->stdout_fd = out[0];
    if (!read_line(env->stdout_fd, line, sizeof line, DEVENV_START_SECONDS)) {
        int status = stop_devenv(env);
        if (status >= 0 && WIFEXITED(status))
            TB_FAIL("%s %s --port %d exited with status %d before it was ready (127: no "
                    "such program; its stderr is above)", python, script, port,
                    WEXITSTATUS(status));
        TB_FAIL("%s %s --port %d was not ready within %.0f s (its stderr is above)", python,
                script, port, DEVENV_START_SECONDS);
    }
    CHECK(json_string_field(line, "target", env->target, sizeof env->target),
          "no target in devenv's line %s", line);
}

/* Removes the scratch directory and what the server left in it (the SQLite
 * file and its journals). */
static void remove_scratch(void) {
    DIR *dir;
    struct dirent *entry;
    char path[1024];
    if (scratch_dir[0] == '\0') return;
    dir = opendir(scratch_dir);
    if (dir != NULL) {
        while ((entry = readdir(dir)) != NULL) {
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
            snprintf(path, sizeof path, "%s/%s", scratch_dir, entry->d_name);
            unlink(path);
        }
        closedir(dir);
    }
    rmdir(scratch_dir);
    scratch_dir[0] = '\0';
}

/* At exit, a failed check's too: the server goes (it would anyway, once our
 * end of its stdin closes), then its files. */
static void clean_up(void) {
    if (server.pid != 0) stop_devenv(&server);
    remove_scratch();
}

/* A count_workflows call on its own thread, made while the server is down. */
struct outage_call {
    TbClient *client;
    TbStatus status;
    char *error;
    double seconds;
};

static void *count_through_outage(void *arg) {
    struct outage_call *call = (struct outage_call *)arg;
    double started = now_seconds();
    char *response = NULL;
    call->status = tb_client_call(call->client, "count_workflows", "{\"call_timeout\":\"150s\"}",
                                  NULL, &response, &call->error);
    call->seconds = now_seconds() - started;
    tb_string_free(response);
    return NULL;
}

/* The second part: the records of a real server restart (see the top). */
static void check_restart(struct collector *c, const char *python, const char *script) {
    static const char *const slow_ok[] = {
        "2 temporal_bridge::client slow call: CountWorkflowExecutions took ", " (ok) {",
        "\"operation\":\"CountWorkflowExecutions\"", "\"outcome\":\"ok\"", NULL};
    char db[600], options[1024], needle[256], line[2048], *error = NULL, *response;
    const char *tmp = getenv("TMPDIR");
    struct outage_call call = {NULL, TB_STATUS_OK, NULL, 0};
    TbClient *client = NULL;
    TbStatus status;
    pthread_t thread;
    long long slow_ms;
    double limit;
    int port = closed_port(), exit_status;

    snprintf(scratch_dir, sizeof scratch_dir, "%s/tb-c-log-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    CHECK(mkdtemp(scratch_dir) != NULL, "mkdtemp %s: %s", scratch_dir, strerror(errno));
    snprintf(db, sizeof db, "%s/temporal.db", scratch_dir);

    /* Server #1, and a client of it with the secret header, a low slow-call
     * threshold and retries enough to outlast a restart. */
    start_devenv(&server, python, script, port, db);
    forget(c);
    status = tb_log_configure(collect, c, "info", &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    snprintf(options, sizeof options,
             "{\"target\":\"%s\",\"headers\":{\"x-team-token\":\"" SECRET "\"},"
             "\"slow_call_threshold\":\"500ms\",\"retry\":{\"max_attempts\":100,"
             "\"max_elapsed\":\"120s\",\"max_interval\":\"1s\"}}",
             server.target);
    status = tb_client_connect(options, &client, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    response = call_ok(client, "count_workflows", "{\"call_timeout\":\"60s\"}");
    tb_string_free(response);

    /* Down: a call now fails attempt after attempt. Once its fourth failure
     * is logged it is well into its retries, and has slept at least 1.2 s
     * (backoffs 100, 200, 400, 800 ms, jitter at most 20%) before the attempt
     * that can succeed: over the 500 ms threshold, however fast the server
     * comes back... */
    exit_status = stop_devenv(&server);
    CHECK(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0,
          "devenv #1 ended with wait status %d", exit_status);
    call.client = client;
    CHECK(pthread_create(&thread, NULL, count_through_outage, &call) == 0, "pthread_create");
    wait_for_within(c, "2 temporal_bridge::client CountWorkflowExecutions attempt 4 failed "
                       "(UNAVAILABLE", 60);

    /* ...until the same server (port, SQLite file) is back: it succeeds. */
    start_devenv(&server, python, script, port, db);
    CHECK(pthread_join(thread, NULL) == 0, "pthread_join");
    CHECK_STATUS(call.status, TB_STATUS_OK, call.error);

    /* (a) The failed attempts, each with its cause. */
    CHECK(line_with(c, "CountWorkflowExecutions attempt 1 failed (UNAVAILABLE", line,
                    sizeof line), "no attempt 1 record");
    CHECK_HAS(line, "\"status_code\":\"UNAVAILABLE\"");
    CHECK_HAS(line, "\"cause\":\"");
    CHECK_HAS(line, "\"attempt\":1");
    wait_for(c, "2 temporal_bridge::client CountWorkflowExecutions attempt 2 failed (UNAVAILABLE");
    /* (b) The transport's refused connects, a warning. */
    snprintf(needle, sizeof needle, "2 temporal_bridge::transport could not connect: %s",
             server.target);
    wait_for(c, needle);
    /* (c) The reconnect, at info. */
    snprintf(needle, sizeof needle, "3 temporal_bridge::transport reconnected to %s",
             server.target);
    wait_for(c, needle);
    CHECK(line_with(c, needle, line, sizeof line), "no reconnect record");
    CHECK_HAS(line, "\"connection\":");
    /* (d) The call, as slow. Logged after its first failure, and over a
     * second: not the first call's record, should that one have been slow
     * too (under valgrind, say). */
    limit = now_seconds() + 10;
    while ((slow_ms = max_elapsed_ms(c, "CountWorkflowExecutions attempt 1 failed",
                                     slow_ok)) < 1000) {
        CHECK(now_seconds() < limit, "no slow-call record of the call through the restart "
              "(it took %.1f s); got:\n%s", call.seconds, c->text);
        sleep_seconds(0.02);
    }
    CHECK(slow_ms <= (long long)(call.seconds * 1000) + 1000,
          "slow call logged as %lld ms, but the call took %.1f s", slow_ms, call.seconds);
    /* (e) The header's value never. */
    CHECK(!has(c, SECRET), "a secret reached the log:\n%s", c->text);

    tb_client_free(client);
    status = tb_log_configure(NULL, NULL, NULL, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    exit_status = stop_devenv(&server);
    CHECK(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0,
          "devenv #2 ended with wait status %d", exit_status);
    remove_scratch();
}

int main(void) {
    static struct collector c = {PTHREAD_MUTEX_INITIALIZER, 0, ""};
    char options[512], *error = NULL;
    TbClient *nowhere = NULL, *client = NULL;
    TbStatus status;
    int calls;
    /* The restart part's tools, asked for first: a run without them fails at
     * once. */
    const char *python = test_env("TB_PYTHON"), *devenv = test_env("TB_DEVENV");

    CHECK(atexit(clean_up) == 0, "atexit");
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

    check_restart(&c, python, devenv);
    printf("test_log: ok\n");
    return 0;
}
