/* Client configuration from C, against the real dev server: tb_client_connect
 * with no target (TEMPORAL_* variables only; a TOML profiles file chosen by
 * options or by TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE; the environment over
 * the file and explicit fields over both; the file's profile giving an
 * unreachable address), errors that name the file, the profile and the key
 * (tb_config_resolve and tb_client_connect), tb_config_resolve's redaction of
 * secrets and its "env" option, and tb_client_update on a live client.
 *
 * The TOML files live in a mkdtemp directory removed at the end. The program
 * starts with every TEMPORAL_* variable unset and HOME / XDG_CONFIG_HOME
 * pointing at that directory (so no user file is read); each test undoes
 * what it sets, and the original environment is restored before exit. */
#include "tb_test.h"
#include "tb_json.h"

#include <errno.h>
#include <sys/stat.h>

extern char **environ;

/* Most a connect to a closed port may take with "connect_timeout": "3s"
 * (generous: valgrind is slow). */
#define UNREACHABLE_SECONDS 30.0

/* --------------------------------------------------- the environment */

/* A variable as it was before the program changed it. */
struct saved_var {
    char *name;
    char *value; /* NULL: it was unset */
};

#define MAX_SAVED 128
static struct saved_var saved[MAX_SAVED];
static int saved_count;

static char *copy_text(const char *text) {
    size_t n = strlen(text) + 1;
    char *copy = (char *)malloc(n);
    CHECK(copy != NULL, "out of memory");
    memcpy(copy, text, n);
    return copy;
}

/* Remembers `name`'s original value, the first time it is changed. */
static void save_var(const char *name) {
    int i;
    const char *value;
    for (i = 0; i < saved_count; i++)
        if (strcmp(saved[i].name, name) == 0) return;
    CHECK(saved_count < MAX_SAVED, "too many environment variables to save");
    value = getenv(name);
    saved[saved_count].name = copy_text(name);
    saved[saved_count].value = value ? copy_text(value) : NULL;
    saved_count++;
}

static void set_var(const char *name, const char *value) {
    save_var(name);
    CHECK(setenv(name, value, 1) == 0, "setenv %s: %s", name, strerror(errno));
}

static void unset_var(const char *name) {
    save_var(name);
    CHECK(unsetenv(name) == 0, "unsetenv %s: %s", name, strerror(errno));
}

/* Unsets every TEMPORAL_* variable (remembering it) and points HOME and
 * XDG_CONFIG_HOME at `home`, which holds no temporalio/temporal.toml. */
static void isolate_environment(const char *home) {
    char *names[MAX_SAVED];
    int count = 0, i;
    char **entry;
    for (entry = environ; *entry != NULL; entry++) {
        const char *equals = strchr(*entry, '=');
        size_t n;
        if (strncmp(*entry, "TEMPORAL_", 9) != 0 || equals == NULL) continue;
        CHECK(count < MAX_SAVED - 2, "too many TEMPORAL_* variables");
        n = (size_t)(equals - *entry);
        names[count] = (char *)malloc(n + 1);
        CHECK(names[count] != NULL, "out of memory");
        memcpy(names[count], *entry, n);
        names[count][n] = '\0';
        count++;
    }
    for (i = 0; i < count; i++) {
        unset_var(names[i]);
        free(names[i]);
    }
    set_var("HOME", home);
    set_var("XDG_CONFIG_HOME", home);
}

/* Puts every changed variable back as it was. */
static void restore_environment(void) {
    int i;
    for (i = 0; i < saved_count; i++) {
        if (saved[i].value != NULL)
            CHECK(setenv(saved[i].name, saved[i].value, 1) == 0, "setenv %s", saved[i].name);
        else
            CHECK(unsetenv(saved[i].name) == 0, "unsetenv %s", saved[i].name);
        free(saved[i].name);
        free(saved[i].value);
    }
    saved_count = 0;
}

/* ------------------------------------------------------ the temp dir */

static char temp_dir[] = "/tmp/tb-config-XXXXXX";
#define MAX_FILES 32
static char *written[MAX_FILES];
static int written_count;

/* Writes `text` to `name` in the temp dir and its path to `path`. */
static void write_file(const char *name, const char *text, char *path, size_t size) {
    FILE *file;
    CHECK((size_t)snprintf(path, size, "%s/%s", temp_dir, name) < size, "path too long");
    file = fopen(path, "w");
    CHECK(file != NULL, "cannot create %s: %s", path, strerror(errno));
    CHECK(fputs(text, file) >= 0 && fclose(file) == 0, "cannot write %s", path);
    CHECK(written_count < MAX_FILES, "too many files");
    written[written_count++] = copy_text(path);
}

static void remove_temp_dir(void) {
    int i;
    for (i = 0; i < written_count; i++) {
        CHECK(unlink(written[i]) == 0 || errno == ENOENT, "unlink %s: %s", written[i],
              strerror(errno));
        free(written[i]);
    }
    written_count = 0;
    CHECK(rmdir(temp_dir) == 0, "rmdir %s: %s", temp_dir, strerror(errno));
}

/* ---------------------------------------------------------- helpers */

/* Connects with `options` or fails the test. */
static TbClient *connect_ok(const char *options) {
    TbClient *client = NULL;
    char *error = NULL;
    TbStatus status = tb_client_connect(options, &client, &error);
    if (status != TB_STATUS_OK)
        TB_FAIL("connect %s: %s: %s", options, tb_status_name(status), or_none(error));
    CHECK(client != NULL, "connect %s gave no client", options);
    CHECK(error == NULL, "error_out written on success");
    return client;
}

/* A connect with `options` that must fail with `want`, the message or
 * details containing `mention`; returns the error (free it). */
static char *connect_error(const char *options, TbStatus want, const char *mention) {
    TbClient *client = NULL;
    char *error = NULL;
    TbStatus status = tb_client_connect(options, &client, &error);
    if (status == TB_STATUS_OK) tb_client_free(client);
    CHECK_ERROR(status, want, error, mention);
    CHECK(client == NULL, "client_out written on failure");
    return error;
}

/* tb_config_resolve with `options` must succeed; returns the JSON (free it). */
static char *resolve_ok(const char *options) {
    char *response = NULL, *error = NULL;
    TbStatus status = tb_config_resolve(options, &response, &error);
    if (status != TB_STATUS_OK)
        TB_FAIL("tb_config_resolve %s: %s: %s", or_none(options), tb_status_name(status),
                or_none(error));
    CHECK(response != NULL, "tb_config_resolve gave no response");
    CHECK(error == NULL, "error_out written on success");
    return response;
}

/* tb_config_resolve with `options` must fail with invalid_argument naming
 * `mention`; returns the error (free it). */
static char *resolve_error(const char *options, const char *mention) {
    char *response = NULL, *error = NULL;
    TbStatus status = tb_config_resolve(options, &response, &error);
    if (status == TB_STATUS_OK) tb_string_free(response);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, mention);
    CHECK(response == NULL, "response_out written on failure");
    return error;
}

/* The client's namespace, as the server describes it, must be `want`. */
static void check_namespace(const TbClient *client, const char *want) {
    char *response = NULL, *error = NULL;
    char quoted[256];
    TbStatus status = tb_namespace_describe(client, "{}", NULL, &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    snprintf(quoted, sizeof quoted, "\"%s\"", want);
    CHECK_AT(response, quoted, "namespaceInfo", "name");
    tb_string_free(response);
}

/* ---------------------------------------------------------- 1. env only */

static void test_environment_only(void) {
    const char *target = test_env("TB_TARGET");
    const char *ns = test_namespace();
    char want[256];
    TbClient *client;
    char *resolved;

    set_var("TEMPORAL_ADDRESS", target);
    set_var("TEMPORAL_NAMESPACE", ns);

    /* What "{}" resolves to: the variables, no file. */
    resolved = resolve_ok(NULL);
    snprintf(want, sizeof want, "\"%s\"", target);
    CHECK_AT(resolved, want, "address");
    snprintf(want, sizeof want, "\"%s\"", ns);
    CHECK_AT(resolved, want, "namespace");
    CHECK_AT(resolved, "\"default\"", "profile");
    CHECK_AT(resolved, "null", "source_file");
    CHECK_AT(resolved, "false", "tls_enabled");
    tb_string_free(resolved);

    client = connect_ok("{}");
    check_namespace(client, ns);
    tb_client_free(client);

    unset_var("TEMPORAL_ADDRESS");
    unset_var("TEMPORAL_NAMESPACE");

    /* Gone again: nothing configured, the default address. */
    resolved = resolve_ok("{}");
    CHECK_AT(resolved, "null", "address");
    CHECK_AT(resolved, "null", "namespace");
    tb_string_free(resolved);
    printf("ok - connect \"{}\" with only TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE set: "
           "connected to %s, namespace %s\n", target, ns);
}

/* ------------------------------------------------------- 2. a profiles file */

static void test_profiles_file(void) {
    const char *target = test_env("TB_TARGET");
    const char *ns = test_namespace();
    char text[1024], path[512], options[1536];
    char *error;
    TbClient *client;
    double started;

    snprintf(text, sizeof text,
             "# profiles for test_config\n"
             "[profile.default]\n"
             "address = \"127.0.0.1:1\"\n"
             "\n"
             "[profile.dev]\n"
             "address = \"%s\"\n"
             "namespace = \"%s\"\n",
             target, ns);
    write_file("profiles.toml", text, path, sizeof path);

    /* By options. */
    snprintf(options, sizeof options, "{\"config_file\":\"%s\",\"profile\":\"dev\"}", path);
    client = connect_ok(options);
    check_namespace(client, ns);
    tb_client_free(client);

    /* By TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE. */
    set_var("TEMPORAL_CONFIG_FILE", path);
    set_var("TEMPORAL_PROFILE", "dev");
    client = connect_ok("{}");
    check_namespace(client, ns);
    tb_client_free(client);
    unset_var("TEMPORAL_PROFILE");
    unset_var("TEMPORAL_CONFIG_FILE");

    /* The default profile: nobody listens on port 1. */
    snprintf(options, sizeof options, "{\"config_file\":\"%s\",\"connect_timeout\":\"3s\"}",
             path);
    started = now_seconds();
    error = connect_error(options, TB_STATUS_UNAVAILABLE, "127.0.0.1:1");
    CHECK(now_seconds() - started < UNREACHABLE_SECONDS,
          "the unreachable connect took %.1fs", now_seconds() - started);
    tb_string_free(error);

    /* Explicit fields override the profile. */
    snprintf(options, sizeof options,
             "{\"config_file\":\"%s\",\"target\":\"%s\",\"namespace\":\"%s\"}", path, target,
             ns);
    client = connect_ok(options);
    check_namespace(client, ns);
    tb_client_free(client);

    /* The environment overrides the file: TEMPORAL_ADDRESS over the default
     * profile's port 1 (and its namespace, none, is "default"). */
    set_var("TEMPORAL_ADDRESS", target);
    snprintf(options, sizeof options, "{\"config_file\":\"%s\"}", path);
    client = connect_ok(options);
    check_namespace(client, "default");
    tb_client_free(client);
    /* ... and explicit fields the environment. */
    set_var("TEMPORAL_ADDRESS", "127.0.0.1:1");
    snprintf(options, sizeof options,
             "{\"config_file\":\"%s\",\"profile\":\"dev\",\"target\":\"%s\"}", path, target);
    client = connect_ok(options);
    check_namespace(client, ns);
    tb_client_free(client);
    unset_var("TEMPORAL_ADDRESS");

    printf("ok - profiles file: profile dev by options and by TEMPORAL_CONFIG_FILE + "
           "TEMPORAL_PROFILE connects; the default profile's 127.0.0.1:1 is unavailable "
           "(named); explicit target/namespace override the profile, TEMPORAL_ADDRESS the "
           "file, explicit target TEMPORAL_ADDRESS\n");
}

/* A profile with an API key, TLS disabled and metadata connects in plaintext
 * and sends them (the dev server ignores them). */
static void test_profile_credentials(void) {
    const char *target = test_env("TB_TARGET");
    const char *ns = test_namespace();
    char text[1024], path[512], options[1024];
    char *resolved;
    TbClient *client;

    snprintf(text, sizeof text,
             "[profile.keyed]\n"
             "address = \"%s\"\n"
             "namespace = \"%s\"\n"
             "api_key = \"keyed-secret\"\n"
             "[profile.keyed.tls]\n"
             "disabled = true\n"
             "[profile.keyed.grpc_meta]\n"
             "X_Team = \"c-tests\"\n",
             target, ns);
    write_file("keyed.toml", text, path, sizeof path);
    snprintf(options, sizeof options, "{\"config_file\":\"%s\",\"profile\":\"keyed\"}", path);

    resolved = resolve_ok(options);
    CHECK_AT(resolved, "false", "tls_enabled");
    CHECK_AT(resolved, "\"<redacted>\"", "api_key");
    CHECK_AT(resolved, "\"c-tests\"", "grpc_meta", "x-team");
    CHECK_LACKS(resolved, "keyed-secret");
    tb_string_free(resolved);

    client = connect_ok(options);
    check_namespace(client, ns);
    tb_client_free(client);
    printf("ok - a profile with api_key, tls.disabled = true and grpc_meta connects in "
           "plaintext\n");
}

/* ------------------------------------------------ 3. errors that name things */

static void test_errors(void) {
    const char *target = test_env("TB_TARGET");
    const char *ns = test_namespace();
    char text[1024], path[512], bad_path[512], options[1536], missing[512];
    char *error, *resolved;
    TbClient *client;

    snprintf(text, sizeof text,
             "[profile.default]\naddress = \"127.0.0.1:1\"\n\n"
             "[profile.dev]\naddress = \"%s\"\nnamespace = \"%s\"\n",
             target, ns);
    write_file("errors.toml", text, path, sizeof path);

    /* An unknown profile: the file, the profile, the ones it has. */
    snprintf(options, sizeof options, "{\"config_file\":\"%s\",\"profile\":\"nope\"}", path);
    error = resolve_error(options, path);
    CHECK_HAS(error, "default, dev");
    CHECK_HAS(error, "nope");
    CHECK_HAS(error, "no such profile");
    tb_string_free(error);
    error = connect_error(options, TB_STATUS_INVALID_ARGUMENT, path);
    CHECK_HAS(error, "default, dev");
    tb_string_free(error);
    /* The same by TEMPORAL_PROFILE. */
    set_var("TEMPORAL_PROFILE", "nope");
    snprintf(options, sizeof options, "{\"config_file\":\"%s\"}", path);
    error = connect_error(options, TB_STATUS_INVALID_ARGUMENT, "default, dev");
    CHECK_HAS(error, path);
    tb_string_free(error);
    unset_var("TEMPORAL_PROFILE");

    /* Not TOML. */
    write_file("bad.toml", "[profile.default\naddress = 1\n", bad_path, sizeof bad_path);
    snprintf(options, sizeof options, "{\"config_file\":\"%s\"}", bad_path);
    error = resolve_error(options, bad_path);
    CHECK_HAS(error, "not valid TOML");
    tb_string_free(error);
    error = connect_error(options, TB_STATUS_INVALID_ARGUMENT, bad_path);
    tb_string_free(error);

    /* A wrong type: the profile and the key. */
    write_file("number.toml", "[profile.x]\naddress = 5\n", bad_path, sizeof bad_path);
    snprintf(options, sizeof options, "{\"config_file\":\"%s\",\"profile\":\"x\"}", bad_path);
    error = resolve_error(options, "key `address`");
    CHECK_HAS(error, bad_path);
    CHECK_HAS(error, "must be a string");
    CHECK_HAS(error, "\"key\":\"address\"");
    tb_string_free(error);

    /* A path and the data of one certificate. */
    write_file("both.toml",
               "[profile.x.tls]\nclient_cert_path = \"/nonexistent/cert.pem\"\n"
               "client_cert_data = \"PEM\"\n",
               bad_path, sizeof bad_path);
    snprintf(options, sizeof options, "{\"config_file\":\"%s\",\"profile\":\"x\"}", bad_path);
    error = resolve_error(options, "not both");
    CHECK_HAS(error, "tls.client_cert_path");
    tb_string_free(error);

    /* An unknown key: an error only when strict. */
    snprintf(text, sizeof text,
             "[profile.typo]\naddress = \"%s\"\nnamespace = \"%s\"\nadress = \"typo\"\n", target,
             ns);
    write_file("typo.toml", text, bad_path, sizeof bad_path);
    snprintf(options, sizeof options,
             "{\"config_file\":\"%s\",\"profile\":\"typo\",\"config_strict\":true}", bad_path);
    error = resolve_error(options, "unknown key");
    CHECK_HAS(error, "adress");
    tb_string_free(error);
    error = connect_error(options, TB_STATUS_INVALID_ARGUMENT, "unknown key");
    CHECK_HAS(error, "key `adress`");
    tb_string_free(error);
    snprintf(options, sizeof options, "{\"config_file\":\"%s\",\"profile\":\"typo\"}",
             bad_path);
    resolved = resolve_ok(options);
    CHECK_LACKS(resolved, "adress");
    tb_string_free(resolved);
    client = connect_ok(options);
    check_namespace(client, ns);
    tb_client_free(client);

    /* A missing file given explicitly (not the default place's). */
    snprintf(missing, sizeof missing, "%s/missing.toml", temp_dir);
    snprintf(options, sizeof options, "{\"config_file\":\"%s\"}", missing);
    error = resolve_error(options, missing);
    tb_string_free(error);
    error = connect_error(options, TB_STATUS_INVALID_ARGUMENT, missing);
    tb_string_free(error);
    set_var("TEMPORAL_CONFIG_FILE", missing);
    error = resolve_error("{}", missing);
    tb_string_free(error);
    unset_var("TEMPORAL_CONFIG_FILE");

    /* A profile asked for with no file at all. */
    error = resolve_error("{\"profile\":\"dev\"}", "no configuration file");
    CHECK_HAS(error, "dev");
    tb_string_free(error);

    /* tb_config_resolve's own options are strict. */
    error = resolve_error("{\"bogus\":1}", "bogus");
    tb_string_free(error);
    error = resolve_error("{\"config_strict\":\"yes\"}", "config_strict");
    tb_string_free(error);
    error = resolve_error("[]", NULL);
    tb_string_free(error);
    error = resolve_error("{\"env\":", "not valid JSON");
    tb_string_free(error);
    CHECK(tb_config_resolve("{\"bogus\":1}", NULL, NULL) == TB_STATUS_INVALID_ARGUMENT,
          "tb_config_resolve with NULL outputs");

    printf("ok - errors: an unknown profile names the file and the profiles it has "
           "(resolve, connect, TEMPORAL_PROFILE); bad TOML the file; address = 5 the "
           "profile and key; path and data \"not both\"; an unknown key only with "
           "config_strict; a missing explicit file (option or TEMPORAL_CONFIG_FILE) is "
           "named; resolve's own options are strict\n");
}

/* ---------------------------------------------------------- 4. redaction */

static void test_redaction(void) {
    char path[512], options[1536], want[600];
    char *resolved, *error;
    TbClient *client = NULL;
    TbStatus status;
    static const char profile[] =
        "[profile.secret]\n"
        "address = \"127.0.0.1:1\"\n"
        "namespace = \"file-ns\"\n"
        "api_key = \"c-secret-key-123\"\n"
        "[profile.secret.tls]\n"
        "client_cert_path = \"/nonexistent/client.pem\"\n"
        "client_key_data = \"-----BEGIN PRIVATE KEY-----\\nMIIsecret\\n-----END PRIVATE KEY-----\"\n"
        "server_name = \"server.example\"\n"
        "[profile.secret.codec]\n"
        "endpoint = \"https://codec.example\"\n"
        "auth = \"Bearer codec-secret\"\n"
        "[profile.secret.grpc_meta]\n"
        "Authorization_Token = \"tok-secret\"\n"
        "plain_header = \"visible\"\n";
    static const char *const secrets[] = {"c-secret-key-123", "MIIsecret", "codec-secret",
                                          "tok-secret"};
    size_t i;

    write_file("secret.toml", profile, path, sizeof path);
    snprintf(options, sizeof options, "{\"config_file\":\"%s\",\"profile\":\"secret\"}", path);
    resolved = resolve_ok(options);
    for (i = 0; i < sizeof secrets / sizeof secrets[0]; i++) CHECK_LACKS(resolved, secrets[i]);
    CHECK_HAS(resolved, "<redacted>");
    CHECK_HAS(resolved, "visible");
    CHECK_HAS(resolved, "plain-header");
    CHECK_HAS(resolved, "\"tls_enabled\":true");
    CHECK_AT(resolved, "\"secret\"", "profile");
    snprintf(want, sizeof want, "\"%s\"", path);
    CHECK_AT(resolved, want, "source_file");
    CHECK_AT(resolved, "\"127.0.0.1:1\"", "address");
    CHECK_AT(resolved, "\"file-ns\"", "namespace");
    CHECK_AT(resolved, "\"<redacted>\"", "api_key");
    CHECK_AT(resolved, "\"<redacted>\"", "tls", "client_key", "data");
    CHECK_AT(resolved, "\"/nonexistent/client.pem\"", "tls", "client_cert", "path");
    CHECK_AT(resolved, "\"server.example\"", "tls", "server_name");
    CHECK_AT(resolved, "\"https://codec.example\"", "codec", "endpoint");
    CHECK_AT(resolved, "\"<redacted>\"", "codec", "auth");
    CHECK_AT(resolved, "\"<redacted>\"", "grpc_meta", "authorization-token");
    CHECK_AT(resolved, "\"visible\"", "grpc_meta", "plain-header");
    tb_string_free(resolved);

    /* The "env" option instead of the process environment. */
    snprintf(options, sizeof options,
             "{\"config_file\":\"%s\",\"profile\":\"secret\",\"env\":{"
             "\"TEMPORAL_NAMESPACE\":\"from-env\",\"TEMPORAL_GRPC_META_PLAIN_HEADER\":\"\","
             "\"TEMPORAL_GRPC_META_NEW_ONE\":\"added\",\"TEMPORAL_API_KEY\":\"env-api-secret\"}}",
             path);
    resolved = resolve_ok(options);
    CHECK_AT(resolved, "\"from-env\"", "namespace");
    CHECK_LACKS(resolved, "plain-header");
    CHECK_LACKS(resolved, "visible");
    CHECK_AT(resolved, "\"added\"", "grpc_meta", "new-one");
    CHECK_AT(resolved, "\"<redacted>\"", "grpc_meta", "authorization-token");
    CHECK_AT(resolved, "\"<redacted>\"", "api_key");
    CHECK_LACKS(resolved, "env-api-secret");
    tb_string_free(resolved);

    /* disable_env ignores it, disable_file the file. */
    snprintf(options, sizeof options,
             "{\"config_file\":\"%s\",\"profile\":\"secret\",\"disable_env\":true,"
             "\"env\":{\"TEMPORAL_NAMESPACE\":\"from-env\"}}",
             path);
    resolved = resolve_ok(options);
    CHECK_AT(resolved, "\"file-ns\"", "namespace");
    tb_string_free(resolved);
    resolved = resolve_ok("{\"disable_file\":true,\"env\":{\"TEMPORAL_ADDRESS\":\"env:7233\","
                          "\"TEMPORAL_TLS\":\"true\",\"TEMPORAL_CODEC_AUTH\":\"codec-secret\"}}");
    CHECK_AT(resolved, "\"env:7233\"", "address");
    CHECK_AT(resolved, "null", "source_file");
    CHECK_AT(resolved, "true", "tls_enabled");
    CHECK_AT(resolved, "\"<redacted>\"", "codec", "auth");
    CHECK_LACKS(resolved, "codec-secret");
    tb_string_free(resolved);
    /* An API key alone turns TLS on; TEMPORAL_TLS=false off again. */
    resolved = resolve_ok("{\"env\":{\"TEMPORAL_API_KEY\":\"k\"}}");
    CHECK_AT(resolved, "true", "tls_enabled");
    tb_string_free(resolved);
    resolved = resolve_ok("{\"env\":{\"TEMPORAL_API_KEY\":\"k\",\"TEMPORAL_TLS\":\"false\"}}");
    CHECK_AT(resolved, "false", "tls_enabled");
    tb_string_free(resolved);
    error = resolve_error("{\"env\":{\"TEMPORAL_TLS\":\"maybe\"}}", "TEMPORAL_TLS");
    tb_string_free(error);

    /* Path and data of the same key in the environment: the variable is
     * named, the data never shown. */
    error = resolve_error("{\"disable_file\":true,\"env\":{"
                          "\"TEMPORAL_TLS_CLIENT_KEY_PATH\":\"/nonexistent/key.pem\","
                          "\"TEMPORAL_TLS_CLIENT_KEY_DATA\":\"MIIenvsecret\"}}",
                          "TEMPORAL_TLS_CLIENT_KEY_PATH");
    CHECK_LACKS(error, "MIIenvsecret");
    CHECK_HAS(error, "\"env\":\"TEMPORAL_TLS_CLIENT_KEY_PATH\"");
    tb_string_free(error);

    /* Connecting with the secret profile fails (its certificate file does not
     * exist); the error shows none of the secrets. */
    snprintf(options, sizeof options,
             "{\"config_file\":\"%s\",\"profile\":\"secret\",\"connect_timeout\":\"3s\"}", path);
    error = NULL;
    status = tb_client_connect(options, &client, &error);
    if (status == TB_STATUS_OK) tb_client_free(client);
    CHECK(status != TB_STATUS_OK, "connected with the secret profile");
    CHECK(error != NULL, "no error from the failed connect");
    for (i = 0; i < sizeof secrets / sizeof secrets[0]; i++) CHECK_LACKS(error, secrets[i]);
    tb_string_free(error);

    printf("ok - tb_config_resolve redacts the API key, key data, codec auth and "
           "credential-looking metadata (and keeps the rest); \"env\" overrides the file, "
           "an empty TEMPORAL_GRPC_META_* removes a header; disable_env/disable_file; "
           "PATH and DATA both set name the variable, never the data\n");
}

/* ------------------------------------------------------ 5. tb_client_update */

static void update_ok(const TbClient *client, const char *update) {
    char *error = NULL;
    TbStatus status = tb_client_update(client, update, &error);
    if (status != TB_STATUS_OK)
        TB_FAIL("tb_client_update %s: %s: %s", update, tb_status_name(status), or_none(error));
    CHECK(error == NULL, "error_out written on success");
}

static char *update_error(const TbClient *client, const char *update, const char *mention) {
    char *error = NULL;
    TbStatus status = tb_client_update(client, update, &error);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, mention);
    return error;
}

static void test_client_update(void) {
    const char *ns = test_namespace();
    TbClient *client = test_connect();
    char *error;

    update_ok(client, "{\"headers\":{\"x-test\":\"1\"}}");
    check_namespace(client, ns);

    /* A newline cannot go into a header: refused, the old set stays. */
    error = update_error(client, "{\"api_key\":\"line\\nbreak\"}", "api_key");
    CHECK_LACKS(error, "break");
    tb_string_free(error);
    check_namespace(client, ns);
    error = update_error(client, "{\"headers\":{\"bad header\":\"x\"}}", "bad header");
    tb_string_free(error);
    check_namespace(client, ns);

    /* The strict JSON contract. */
    error = update_error(client, "{\"bogus\":1}", "bogus");
    tb_string_free(error);
    error = update_error(client, "{\"api_key\":5}", "api_key");
    tb_string_free(error);
    error = update_error(client, "{\"headers\":", "not valid JSON");
    tb_string_free(error);
    error = update_error(client, "[]", NULL);
    tb_string_free(error);
    error = update_error(NULL, "{}", "client is NULL");
    tb_string_free(error);
    error = update_error(client, NULL, "update_json is NULL");
    tb_string_free(error);
    CHECK(tb_client_update(NULL, NULL, NULL) == TB_STATUS_INVALID_ARGUMENT,
          "all-NULL tb_client_update");
    check_namespace(client, ns);

    /* An API key on a plaintext connection (the dev server ignores it), then
     * none; an empty update keeps everything. */
    update_ok(client, "{\"api_key\":\"c-update-key\",\"headers\":{\"x-test\":\"2\"}}");
    check_namespace(client, ns);
    update_ok(client, "{\"api_key\":null}");
    check_namespace(client, ns);
    update_ok(client, "{}");
    update_ok(client, "{\"headers\":{}}");
    check_namespace(client, ns);
    CHECK(tb_client_update(client, "{\"api_key\":null}", NULL) == TB_STATUS_OK,
          "tb_client_update with a NULL error_out");

    /* A closed client still takes the update's checks. */
    tb_client_close(client);
    error = update_error(client, "{\"bogus\":1}", "bogus");
    tb_string_free(error);
    tb_client_free(client);
    printf("ok - tb_client_update: headers and api_key replaced on a live client (calls "
           "keep working), api_key null removes it; a newline in the key, a bad header "
           "name, unknown fields, wrong types, bad JSON and NULLs are invalid_argument and "
           "leave the client working\n");
}

int main(void) {
    CHECK(mkdtemp(temp_dir) != NULL, "mkdtemp: %s", strerror(errno));
    isolate_environment(temp_dir);

    test_environment_only();
    test_profiles_file();
    test_profile_credentials();
    test_errors();
    test_redaction();
    test_client_update();

    restore_environment();
    remove_temp_dir();
    return 0;
}
