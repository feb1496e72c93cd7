/* Payload codecs from C, against the real dev server, a Python SDK worker
 * that runs every payload through the AES-GCM test codec
 * (tests/workers/aes_codec.py) on its own task queue (TB_CODEC_TASK_QUEUE),
 * and the Go codec server of the same codec (examples/go-worker/cmd/
 * codec-server, at TB_CODEC_ENDPOINT, which wants "Authorization: Bearer
 * c-tests" and the harness's namespace):
 *
 *   - the test codec written here in C (OpenSSL's AES-256-GCM, base64 and a
 *     hand-made protobuf Payload), checked first on the Go codec's fixed
 *     vector;
 *   - tb_client_connect_with_codec with it: CodecEchoWorkflow started,
 *     signalled, queried, updated and finished, every value crossing the
 *     codec both ways; the history as stored holds ciphertext only, and with
 *     "decode": true the plain payloads; `release` runs once, at the free;
 *   - a workflow failure whose message the worker moved into encoded
 *     attributes comes back with its real message and type;
 *   - eight threads on one client, the callbacks running at the same time;
 *   - the codec server instead (the "codec" connect option), and a wrong
 *     Authorization: a codec error naming HTTP 401, nothing started;
 *   - callbacks that fail, answer nothing, too few payloads or no JSON, or
 *     answer twice; NULL and bad arguments to tb_client_connect_with_codec;
 *   - a client freed while its callback runs: `release` waits for it;
 *   - tb_client_connect_with_codec_async.
 *
 * Every wait is bounded: calls by a call_timeout, the test's own by a
 * deadline. */
#define _GNU_SOURCE
#include "tb_test.h"
#include "tb_json.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

/* What the workflows are given: the secret must never reach the server in
 * the clear. */
#define SECRET "tb-c-codec-secret-7f3a"
#define SECRET_INPUT "{\"n\":1,\"secret\":\"" SECRET "\"}"
/* CodecEchoWorkflow's result after echo_round_trip. */
#define ECHO_RESULT "{\"input\":{\"n\":2},\"signals\":[\"first signal\"]}"

/* The bound of every call that waits on the worker. */
#define CALL_TIMEOUT "60s"

/* base64 of the metadata values the tests look for. */
#define B64_BINARY_ENCRYPTED "\"YmluYXJ5L2VuY3J5cHRlZA==\""
#define B64_TEST_KEY_1 "\"dGVzdC1rZXktMQ==\""
#define B64_JSON_PLAIN "\"anNvbi9wbGFpbg==\""

/* ------------------------------------------------------------- buffers */

/* Bytes that grow as they are appended to. */
struct buf {
    unsigned char *data;
    size_t len;
    size_t cap;
};

static void buf_reserve(struct buf *b, size_t more) {
    size_t cap = b->cap ? b->cap : 64;
    if (b->len + more <= b->cap) return;
    while (cap < b->len + more) cap *= 2;
    b->data = (unsigned char *)realloc(b->data, cap);
    CHECK(b->data != NULL, "out of memory");
    b->cap = cap;
}

static void buf_put(struct buf *b, const void *bytes, size_t n) {
    if (n == 0) return;
    buf_reserve(b, n);
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
}

static void buf_byte(struct buf *b, unsigned char byte) { buf_put(b, &byte, 1); }

static void buf_text(struct buf *b, const char *text) { buf_put(b, text, strlen(text)); }

/* The bytes as a C string (a NUL appended, not counted). */
static const char *buf_cstr(struct buf *b) {
    buf_reserve(b, 1);
    b->data[b->len] = '\0';
    return (const char *)b->data;
}

static int buf_is(const struct buf *b, const char *text) {
    return b->len == strlen(text) && memcmp(b->data, text, b->len) == 0;
}

static void buf_free(struct buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* -------------------------------------------------------------- base64 */

static void base64_put(struct buf *out, const unsigned char *bytes, size_t n) {
    int written;
    buf_reserve(out, 4 * ((n + 2) / 3) + 1);
    written = EVP_EncodeBlock(out->data + out->len, bytes, (int)n);
    CHECK(written >= 0, "EVP_EncodeBlock failed");
    out->len += (size_t)written;
}

/* Appends the bytes of the base64 text `text` (`n` characters, padded);
 * 0 if it is not base64. EVP_DecodeBlock counts the padding as zero
 * bytes, which are taken off again. */
static int base64_get(struct buf *out, const char *text, size_t n) {
    int got;
    size_t padding = 0;
    if (n == 0) return 1;
    if (n % 4 != 0) return 0;
    if (text[n - 1] == '=') padding++;
    if (text[n - 2] == '=') padding++;
    buf_reserve(out, n / 4 * 3);
    got = EVP_DecodeBlock(out->data + out->len, (const unsigned char *)text, (int)n);
    if (got < 0 || (size_t)got != n / 4 * 3) return 0;
    out->len += (size_t)got - padding;
    return 1;
}

/* ------------------------------------------- temporal.api.common.v1.Payload */

#define MAX_METADATA 16

/* A payload: metadata names (UTF-8) with byte values, and data. */
struct payload {
    size_t metadata_count;
    struct buf names[MAX_METADATA];
    struct buf values[MAX_METADATA];
    struct buf data;
};

static void payload_free(struct payload *p) {
    size_t i;
    for (i = 0; i < p->metadata_count; i++) {
        buf_free(&p->names[i]);
        buf_free(&p->values[i]);
    }
    p->metadata_count = 0;
    buf_free(&p->data);
}

/* Adds a metadata entry; 0 if there are too many. */
static int payload_add_metadata(struct payload *p, const void *name, size_t name_len,
                                const void *value, size_t value_len) {
    if (p->metadata_count == MAX_METADATA) return 0;
    memset(&p->names[p->metadata_count], 0, sizeof(struct buf));
    memset(&p->values[p->metadata_count], 0, sizeof(struct buf));
    buf_put(&p->names[p->metadata_count], name, name_len);
    buf_put(&p->values[p->metadata_count], value, value_len);
    p->metadata_count++;
    return 1;
}

/* The value of metadata entry `name`, or NULL. */
static const struct buf *payload_metadata(const struct payload *p, const char *name) {
    size_t i;
    for (i = 0; i < p->metadata_count; i++)
        if (buf_is(&p->names[i], name)) return &p->values[i];
    return NULL;
}

static void pb_varint(struct buf *out, uint64_t value) {
    while (value >= 0x80) {
        buf_byte(out, (unsigned char)((value & 0x7f) | 0x80));
        value >>= 7;
    }
    buf_byte(out, (unsigned char)value);
}

/* A length-delimited field (wire type 2). */
static void pb_bytes_field(struct buf *out, unsigned field, const void *bytes, size_t n) {
    pb_varint(out, ((uint64_t)field << 3) | 2);
    pb_varint(out, n);
    buf_put(out, bytes, n);
}

/* The protobuf serialization: field 1, map<string, bytes> metadata (each
 * entry a message of key = 1, value = 2); field 2, bytes data (left out
 * when empty, as proto3 does). */
static void payload_serialize(const struct payload *p, struct buf *out) {
    size_t i;
    for (i = 0; i < p->metadata_count; i++) {
        struct buf entry = {NULL, 0, 0};
        pb_bytes_field(&entry, 1, p->names[i].data, p->names[i].len);
        pb_bytes_field(&entry, 2, p->values[i].data, p->values[i].len);
        pb_bytes_field(out, 1, entry.data, entry.len);
        buf_free(&entry);
    }
    if (p->data.len > 0) pb_bytes_field(out, 2, p->data.data, p->data.len);
}

/* Reads protobuf fields one by one. */
struct pb_reader {
    const unsigned char *at;
    const unsigned char *end;
};

static int pb_read_varint(struct pb_reader *r, uint64_t *value) {
    unsigned shift = 0;
    *value = 0;
    while (r->at < r->end && shift < 64) {
        unsigned char byte = *r->at++;
        *value |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) return 1;
        shift += 7;
    }
    return 0;
}

/* The next field: its number, and for a length-delimited one its bytes
 * (other wire types are skipped, `bytes` NULL). 0 at the end, -1 when the
 * bytes are no protobuf. */
static int pb_next(struct pb_reader *r, unsigned *field, const unsigned char **bytes,
                   size_t *n) {
    uint64_t tag, value;
    if (r->at == r->end) return 0;
    if (!pb_read_varint(r, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) return -1;
    *field = (unsigned)(tag >> 3);
    *bytes = NULL;
    *n = 0;
    switch (tag & 7) {
    case 0:
        return pb_read_varint(r, &value) ? 1 : -1;
    case 1:
        if (r->end - r->at < 8) return -1;
        r->at += 8;
        return 1;
    case 5:
        if (r->end - r->at < 4) return -1;
        r->at += 4;
        return 1;
    case 2:
        if (!pb_read_varint(r, &value) || value > (uint64_t)(r->end - r->at)) return -1;
        *bytes = r->at;
        *n = (size_t)value;
        r->at += value;
        return 1;
    default: /* groups: never in a Payload */
        return -1;
    }
}

/* Parses a serialized Payload into `p` (empty before); unknown fields are
 * skipped. 0 if the bytes are no Payload. */
static int payload_parse(const unsigned char *bytes, size_t n, struct payload *p) {
    struct pb_reader r = {bytes, bytes + n};
    unsigned field;
    const unsigned char *value;
    size_t len;
    int more;
    while ((more = pb_next(&r, &field, &value, &len)) == 1) {
        if (field == 1 && value != NULL) {
            struct pb_reader entry = {value, value + len};
            const unsigned char *key = (const unsigned char *)"", *val = (const unsigned char *)"";
            size_t key_len = 0, val_len = 0;
            unsigned entry_field;
            const unsigned char *entry_value;
            size_t entry_len;
            int entry_more;
            while ((entry_more = pb_next(&entry, &entry_field, &entry_value, &entry_len)) == 1) {
                if (entry_value == NULL) continue;
                if (entry_field == 1) {
                    key = entry_value;
                    key_len = entry_len;
                } else if (entry_field == 2) {
                    val = entry_value;
                    val_len = entry_len;
                }
            }
            if (entry_more < 0 || !payload_add_metadata(p, key, key_len, val, val_len)) return 0;
        } else if (field == 2 && value != NULL) {
            p->data.len = 0;
            buf_put(&p->data, value, len);
        }
    }
    return more == 0;
}

/* ------------------------------------------------------ AES-256-GCM codec */

static const unsigned char CODEC_KEY[32] = "temporal-bridge-test-key-32bytes";
#define CODEC_KEY_ID "test-key-1"
#define ENCODING_ENCRYPTED "binary/encrypted"
#define NONCE_SIZE 12
#define TAG_SIZE 16

/* Appends nonce || AES-256-GCM(key, nonce, plaintext) || tag. */
static int aes_seal(const unsigned char nonce[NONCE_SIZE], const struct buf *plaintext,
                    struct buf *out) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, ok;
    if (ctx == NULL) return 0;
    buf_put(out, nonce, NONCE_SIZE);
    buf_reserve(out, plaintext->len + TAG_SIZE + 16);
    ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_SIZE, NULL) == 1 &&
         EVP_EncryptInit_ex(ctx, NULL, NULL, CODEC_KEY, nonce) == 1 &&
         (plaintext->len == 0 ||
          EVP_EncryptUpdate(ctx, out->data + out->len, &n, plaintext->data,
                            (int)plaintext->len) == 1);
    if (ok) {
        out->len += (size_t)n;
        ok = EVP_EncryptFinal_ex(ctx, out->data + out->len, &n) == 1;
    }
    if (ok) {
        out->len += (size_t)n;
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_SIZE, out->data + out->len) == 1;
    }
    if (ok) out->len += TAG_SIZE;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* Opens what aes_seal made, appending the plaintext; 0 if it is too short
 * or does not verify. */
static int aes_open(const struct buf *sealed, struct buf *plaintext) {
    EVP_CIPHER_CTX *ctx;
    const unsigned char *nonce = sealed->data;
    size_t body;
    int n = 0, ok;
    if (sealed->len < NONCE_SIZE + TAG_SIZE) return 0;
    body = sealed->len - NONCE_SIZE - TAG_SIZE;
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) return 0;
    buf_reserve(plaintext, body + 16);
    ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_SIZE, NULL) == 1 &&
         EVP_DecryptInit_ex(ctx, NULL, NULL, CODEC_KEY, nonce) == 1 &&
         (body == 0 || EVP_DecryptUpdate(ctx, plaintext->data + plaintext->len, &n,
                                         sealed->data + NONCE_SIZE, (int)body) == 1);
    if (ok) {
        plaintext->len += (size_t)n;
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_SIZE,
                                 (void *)(sealed->data + sealed->len - TAG_SIZE)) == 1 &&
             EVP_DecryptFinal_ex(ctx, plaintext->data + plaintext->len, &n) == 1;
    }
    if (ok) plaintext->len += (size_t)n;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* Encrypts the whole of `in` into `out` (empty before). */
static int codec_encode_one(const struct payload *in, struct payload *out, char *why,
                            size_t why_size) {
    unsigned char nonce[NONCE_SIZE];
    struct buf plaintext = {NULL, 0, 0};
    int ok;
    if (RAND_bytes(nonce, NONCE_SIZE) != 1) {
        snprintf(why, why_size, "no random nonce");
        return 0;
    }
    payload_serialize(in, &plaintext);
    payload_add_metadata(out, "encoding", 8, ENCODING_ENCRYPTED, strlen(ENCODING_ENCRYPTED));
    payload_add_metadata(out, "encryption-key-id", 17, CODEC_KEY_ID, strlen(CODEC_KEY_ID));
    ok = aes_seal(nonce, &plaintext, &out->data);
    buf_free(&plaintext);
    if (!ok) snprintf(why, why_size, "AES-GCM encryption failed");
    return ok;
}

/* Decrypts `in` into `out` (empty before); a payload not encrypted by this
 * codec is copied as it is. */
static int codec_decode_one(const struct payload *in, struct payload *out, char *why,
                            size_t why_size) {
    const struct buf *encoding = payload_metadata(in, "encoding");
    const struct buf *key_id = payload_metadata(in, "encryption-key-id");
    struct buf plaintext = {NULL, 0, 0};
    size_t i;
    int ok;
    if (encoding == NULL || !buf_is(encoding, ENCODING_ENCRYPTED)) {
        for (i = 0; i < in->metadata_count; i++)
            payload_add_metadata(out, in->names[i].data, in->names[i].len, in->values[i].data,
                                 in->values[i].len);
        buf_put(&out->data, in->data.data, in->data.len);
        return 1;
    }
    if (key_id == NULL || !buf_is(key_id, CODEC_KEY_ID)) {
        snprintf(why, why_size, "unknown encryption key id");
        return 0;
    }
    if (!aes_open(&in->data, &plaintext)) {
        snprintf(why, why_size, "an encrypted payload does not verify (%zu bytes)",
                 in->data.len);
        buf_free(&plaintext);
        return 0;
    }
    ok = payload_parse(plaintext.data, plaintext.len, out);
    buf_free(&plaintext);
    if (!ok) snprintf(why, why_size, "a decrypted payload is no protobuf Payload");
    return ok;
}

/* --------------------------------------------- payloads as JSON, both ways */

/* Steps through the items of the JSON object (`name` non-NULL) or array
 * (`name` NULL) whose opening bracket `*cursor` points at first: each call
 * moves to the next item, writing a member's name (its string, quotes
 * included) to `*name` and the value to `*value`. 1 for an item, 0 at the
 * end, -1 for bad JSON. */
static int json_next(const char **cursor, const char **name, const char **value) {
    const char *at = json_skip_space(*cursor);
    if (*at == '}' || *at == ']') return 0;
    if (*at != (name ? '{' : '[') && *at != ',') return -1;
    at = json_skip_space(at + 1);
    if (name != NULL) {
        const char *end = json_string_end(at);
        if (end == NULL) return -1;
        *name = at;
        at = json_skip_space(end);
        if (*at != ':') return -1;
        at = json_skip_space(at + 1);
    }
    *value = at;
    at = json_value_end(at);
    if (at == NULL) return -1;
    *cursor = at;
    return 1;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_u16(const char *at, unsigned *out) {
    int i;
    *out = 0;
    for (i = 0; i < 4; i++) {
        int digit = hex_digit(at[i]);
        if (digit < 0) return 0;
        *out = *out * 16 + (unsigned)digit;
    }
    return 1;
}

static void utf8_put(struct buf *out, unsigned code) {
    if (code < 0x80) {
        buf_byte(out, (unsigned char)code);
    } else if (code < 0x800) {
        buf_byte(out, (unsigned char)(0xc0 | (code >> 6)));
        buf_byte(out, (unsigned char)(0x80 | (code & 0x3f)));
    } else if (code < 0x10000) {
        buf_byte(out, (unsigned char)(0xe0 | (code >> 12)));
        buf_byte(out, (unsigned char)(0x80 | ((code >> 6) & 0x3f)));
        buf_byte(out, (unsigned char)(0x80 | (code & 0x3f)));
    } else {
        buf_byte(out, (unsigned char)(0xf0 | (code >> 18)));
        buf_byte(out, (unsigned char)(0x80 | ((code >> 12) & 0x3f)));
        buf_byte(out, (unsigned char)(0x80 | ((code >> 6) & 0x3f)));
        buf_byte(out, (unsigned char)(0x80 | (code & 0x3f)));
    }
}

/* Appends the text of the JSON string at `at` (its opening quote),
 * escapes resolved; 0 if it is no string. */
static int json_unescape(const char *at, struct buf *out) {
    const char *end = json_string_end(at);
    if (end == NULL) return 0;
    for (at++, end--; at < end; at++) {
        unsigned code, low;
        if (*at != '\\') {
            buf_byte(out, (unsigned char)*at);
            continue;
        }
        at++;
        switch (*at) {
        case '"': case '\\': case '/': buf_byte(out, (unsigned char)*at); break;
        case 'b': buf_byte(out, '\b'); break;
        case 'f': buf_byte(out, '\f'); break;
        case 'n': buf_byte(out, '\n'); break;
        case 'r': buf_byte(out, '\r'); break;
        case 't': buf_byte(out, '\t'); break;
        case 'u':
            if (end - at < 5 || !read_u16(at + 1, &code)) return 0;
            at += 4;
            if (code >= 0xd800 && code < 0xdc00) {
                if (end - at < 7 || at[1] != '\\' || at[2] != 'u' || !read_u16(at + 3, &low) ||
                    low < 0xdc00 || low >= 0xe000)
                    return 0;
                code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                at += 6;
            }
            utf8_put(out, code);
            break;
        default:
            return 0;
        }
    }
    return 1;
}

/* Appends `text` (`n` bytes of UTF-8) as a JSON string. */
static void json_escape(struct buf *out, const unsigned char *text, size_t n) {
    size_t i;
    buf_byte(out, '"');
    for (i = 0; i < n; i++) {
        if (text[i] == '"' || text[i] == '\\') {
            buf_byte(out, '\\');
            buf_byte(out, text[i]);
        } else if (text[i] < 0x20) {
            char escaped[8];
            snprintf(escaped, sizeof escaped, "\\u%04x", text[i]);
            buf_text(out, escaped);
        } else {
            buf_byte(out, text[i]);
        }
    }
    buf_byte(out, '"');
}

/* Appends the base64 bytes of the JSON string at `at`; 0 if it is none. */
static int json_base64(const char *at, struct buf *out) {
    struct buf text = {NULL, 0, 0};
    int ok = json_unescape(at, &text) && base64_get(out, (const char *)text.data, text.len);
    buf_free(&text);
    return ok;
}

/* Reads `{"payloads": [{"metadata": {name: base64}, "data": base64}, ...]}`
 * into a new array of `*count` payloads (free with payloads_free); 0 with
 * `why` if the text is not of that form. */
static int payloads_from_json(const char *json, struct payload **out, size_t *count,
                              char *why, size_t why_size) {
    const char *list = json_member(json, "payloads");
    const char *cursor = list, *item;
    int length = json_array_length(list), more;
    struct payload *payloads;
    *out = NULL;
    *count = 0;
    if (length < 0) {
        snprintf(why, why_size, "the codec was given no payloads array");
        return 0;
    }
    payloads = (struct payload *)calloc((size_t)length + 1, sizeof *payloads);
    CHECK(payloads != NULL, "out of memory");
    *out = payloads;
    while ((more = json_next(&cursor, NULL, &item)) == 1) {
        struct payload *p = &payloads[(*count)++];
        const char *member = item, *member_name = NULL, *member_value;
        int member_more;
        while ((member_more = json_next(&member, &member_name, &member_value)) == 1) {
            if (json_value_is(member_name, "\"data\"")) {
                if (!json_base64(member_value, &p->data)) goto bad;
            } else if (json_value_is(member_name, "\"metadata\"")) {
                const char *entry = member_value, *entry_name = NULL, *entry_value;
                int entry_more;
                while ((entry_more = json_next(&entry, &entry_name, &entry_value)) == 1) {
                    struct buf key = {NULL, 0, 0}, value = {NULL, 0, 0};
                    int ok = json_unescape(entry_name, &key) && json_base64(entry_value, &value) &&
                             payload_add_metadata(p, key.data, key.len, value.data, value.len);
                    buf_free(&key);
                    buf_free(&value);
                    if (!ok) goto bad;
                }
                if (entry_more < 0) goto bad;
            }
        }
        if (member_more < 0) goto bad;
    }
    if (more < 0) goto bad;
    return 1;
bad:
    snprintf(why, why_size, "the codec was given payloads it cannot read");
    return 0;
}

static void payloads_free(struct payload *payloads, size_t count) {
    size_t i;
    if (payloads == NULL) return;
    for (i = 0; i < count; i++) payload_free(&payloads[i]);
    free(payloads);
}

/* Appends the JSON form payloads_from_json reads. */
static void payloads_to_json(const struct payload *payloads, size_t count, struct buf *out) {
    size_t i, j;
    buf_text(out, "{\"payloads\":[");
    for (i = 0; i < count; i++) {
        const struct payload *p = &payloads[i];
        buf_text(out, i ? ",{\"metadata\":{" : "{\"metadata\":{");
        for (j = 0; j < p->metadata_count; j++) {
            if (j) buf_byte(out, ',');
            json_escape(out, p->names[j].data, p->names[j].len);
            buf_text(out, ":\"");
            base64_put(out, p->values[j].data, p->values[j].len);
            buf_byte(out, '"');
        }
        buf_text(out, "},\"data\":\"");
        base64_put(out, p->data.data, p->data.len);
        buf_text(out, "\"}");
    }
    buf_text(out, "]}");
}

/* ------------------------------------------------------ the C callbacks */

/* How the encode callback behaves. */
enum encode_mode {
    ENCODE_PROPERLY,
    ENCODE_FAILS,           /* tb_codec_reply_error("vault locked") */
    ENCODE_ANSWERS_NOTHING, /* returns without a reply */
    ENCODE_ANSWERS_NONE,    /* {"payloads": []} */
    ENCODE_ANSWERS_GARBAGE, /* no JSON */
    ENCODE_ANSWERS_TWICE,   /* a proper answer, then more attempts */
    ENCODE_BLOCKS           /* waits for `unblocked` (at most 20 s), then answers */
};

/* The user_data of the test codec; every field is safe to touch from the
 * library's threads. */
struct codec_state {
    atomic_int encode_calls;
    atomic_int decode_calls;
    atomic_int release_calls;
    atomic_int in_flight;
    atomic_int peak_in_flight;
    atomic_int mode;
    /* ENCODE_ANSWERS_TWICE: what the extra answers returned. */
    atomic_int null_reply_status;
    atomic_int second_payloads_status;
    atomic_int second_error_status;
    /* Encodes of StartWorkflowExecution wait until `gather` of them run at
     * once (at most 20 s; 0: they do not wait). */
    pthread_mutex_t lock;
    pthread_cond_t gathered_cond;
    int gather;
    int gathered;
    /* ENCODE_BLOCKS: how many encodes wait, and whether they may go on. */
    int blocked;
    int unblocked;
};

static void codec_state_init(struct codec_state *state) {
    memset(state, 0, sizeof *state);
    atomic_init(&state->encode_calls, 0);
    atomic_init(&state->decode_calls, 0);
    atomic_init(&state->release_calls, 0);
    atomic_init(&state->in_flight, 0);
    atomic_init(&state->peak_in_flight, 0);
    atomic_init(&state->mode, ENCODE_PROPERLY);
    atomic_init(&state->null_reply_status, -1);
    atomic_init(&state->second_payloads_status, -1);
    atomic_init(&state->second_error_status, -1);
    CHECK(pthread_mutex_init(&state->lock, NULL) == 0, "pthread_mutex_init");
    CHECK(pthread_cond_init(&state->gathered_cond, NULL) == 0, "pthread_cond_init");
}

static void codec_state_destroy(struct codec_state *state) {
    pthread_mutex_destroy(&state->lock);
    pthread_cond_destroy(&state->gathered_cond);
}

/* Encodes or decodes every payload of `payloads_json` and answers `reply`. */
static void codec_answer(int encode, const char *payloads_json, TbCodecReply *reply) {
    struct payload *in = NULL, *out;
    struct buf json = {NULL, 0, 0};
    size_t count = 0, i;
    char why[256] = "";
    int ok = payloads_from_json(payloads_json, &in, &count, why, sizeof why);
    TbStatus status;
    out = (struct payload *)calloc(count + 1, sizeof *out);
    CHECK(out != NULL, "out of memory");
    for (i = 0; ok && i < count; i++)
        ok = encode ? codec_encode_one(&in[i], &out[i], why, sizeof why)
                    : codec_decode_one(&in[i], &out[i], why, sizeof why);
    if (ok) {
        payloads_to_json(out, count, &json);
        status = tb_codec_reply_payloads(reply, buf_cstr(&json));
    } else {
        status = tb_codec_reply_error(reply, why);
    }
    CHECK_STATUS(status, TB_STATUS_OK, NULL);
    payloads_free(in, count);
    payloads_free(out, count);
    buf_free(&json);
}

static void enter_callback(struct codec_state *state) {
    int now = atomic_fetch_add(&state->in_flight, 1) + 1;
    int peak = atomic_load(&state->peak_in_flight);
    while (now > peak && !atomic_compare_exchange_weak(&state->peak_in_flight, &peak, now)) {
    }
}

/* Holds an encode of StartWorkflowExecution until `gather` run at once. */
static void wait_for_the_others(struct codec_state *state) {
    struct timespec deadline = deadline_after(20);
    pthread_mutex_lock(&state->lock);
    if (state->gather > 0) {
        state->gathered++;
        pthread_cond_broadcast(&state->gathered_cond);
        while (state->gathered < state->gather)
            if (pthread_cond_timedwait(&state->gathered_cond, &state->lock, &deadline) ==
                ETIMEDOUT)
                break;
    }
    pthread_mutex_unlock(&state->lock);
}

/* Holds an ENCODE_BLOCKS encode until the test lets it go. */
static void wait_until_unblocked(struct codec_state *state) {
    struct timespec deadline = deadline_after(20);
    pthread_mutex_lock(&state->lock);
    state->blocked++;
    pthread_cond_broadcast(&state->gathered_cond);
    while (!state->unblocked)
        if (pthread_cond_timedwait(&state->gathered_cond, &state->lock, &deadline) == ETIMEDOUT)
            break;
    state->blocked--;
    pthread_mutex_unlock(&state->lock);
}

static void on_encode(void *user_data, const char *call, const char *payloads_json,
                      TbCodecReply *reply) {
    struct codec_state *state = (struct codec_state *)user_data;
    enter_callback(state);
    atomic_fetch_add(&state->encode_calls, 1);
    CHECK(call != NULL && call[0] != '\0', "no call name");
    if (strcmp(call, "StartWorkflowExecution") == 0) wait_for_the_others(state);
    switch (atomic_load(&state->mode)) {
    case ENCODE_PROPERLY:
        codec_answer(1, payloads_json, reply);
        break;
    case ENCODE_FAILS:
        CHECK_STATUS(tb_codec_reply_error(reply, "vault locked"), TB_STATUS_OK, NULL);
        break;
    case ENCODE_ANSWERS_NOTHING:
        break;
    case ENCODE_ANSWERS_NONE:
        CHECK_STATUS(tb_codec_reply_payloads(reply, "{\"payloads\":[]}"), TB_STATUS_OK, NULL);
        break;
    case ENCODE_ANSWERS_GARBAGE:
        CHECK_STATUS(tb_codec_reply_payloads(reply, "this is no JSON"),
                     TB_STATUS_OK, NULL);
        break;
    case ENCODE_ANSWERS_TWICE:
        /* A NULL answer is refused and leaves the reply open. */
        atomic_store(&state->null_reply_status, (int)tb_codec_reply_payloads(reply, NULL));
        codec_answer(1, payloads_json, reply);
        atomic_store(&state->second_payloads_status,
                     (int)tb_codec_reply_payloads(reply, "{\"payloads\":[]}"));
        atomic_store(&state->second_error_status, (int)tb_codec_reply_error(reply, "too late"));
        break;
    case ENCODE_BLOCKS:
        wait_until_unblocked(state);
        codec_answer(1, payloads_json, reply);
        break;
    }
    atomic_fetch_sub(&state->in_flight, 1);
}

static void on_decode(void *user_data, const char *call, const char *payloads_json,
                      TbCodecReply *reply) {
    struct codec_state *state = (struct codec_state *)user_data;
    enter_callback(state);
    atomic_fetch_add(&state->decode_calls, 1);
    CHECK(call != NULL && call[0] != '\0', "no call name");
    codec_answer(0, payloads_json, reply);
    atomic_fetch_sub(&state->in_flight, 1);
}

static void on_release(void *user_data) {
    struct codec_state *state = (struct codec_state *)user_data;
    atomic_fetch_add(&state->release_calls, 1);
}

static TbPayloadCodec test_codec(struct codec_state *state) {
    TbPayloadCodec codec;
    codec.encode = on_encode;
    codec.decode = on_decode;
    codec.user_data = state;
    codec.release = on_release;
    return codec;
}

static TbClient *connect_with_codec(struct codec_state *state) {
    char options[512];
    char *error = NULL;
    TbClient *client = NULL;
    TbPayloadCodec codec = test_codec(state);
    TbStatus status;
    snprintf(options, sizeof options, "{\"target\":\"%s\",\"namespace\":\"%s\"}",
             test_env("TB_TARGET"), test_namespace());
    status = tb_client_connect_with_codec(options, &codec, &client, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK(client != NULL && error == NULL, "connect_with_codec: outputs");
    return client;
}

/* ------------------------------------------------- the C codec, offline */

/* The Go codec's fixed vector (examples/go-worker/aescodec): the JSON
 * string "hi" sealed under the test key with nonce 000102...0b. */
static const char KNOWN_VECTOR_HEX[] =
    "000102030405060708090a0b"
    "bf41c4d9c5a5d9f5c5b2249a9a230d1d5ecf56f2645e1bd532f3d492e7f986c7"
    "bee291cb48aec641d5692985f229";

static void test_codec_offline(void) {
    struct payload sealed = {0}, opened = {0}, plain = {0}, again = {0}, round = {0};
    struct buf serialized = {NULL, 0, 0};
    char why[256];
    size_t i;

    /* Decrypting the vector gives {encoding: json/plain} and "hi". */
    payload_add_metadata(&sealed, "encoding", 8, ENCODING_ENCRYPTED, strlen(ENCODING_ENCRYPTED));
    payload_add_metadata(&sealed, "encryption-key-id", 17, CODEC_KEY_ID, strlen(CODEC_KEY_ID));
    for (i = 0; KNOWN_VECTOR_HEX[i] != '\0'; i += 2)
        buf_byte(&sealed.data, (unsigned char)(hex_digit(KNOWN_VECTOR_HEX[i]) * 16 +
                                               hex_digit(KNOWN_VECTOR_HEX[i + 1])));
    CHECK(codec_decode_one(&sealed, &opened, why, sizeof why), "known vector: %s", why);
    CHECK(opened.metadata_count == 1 && payload_metadata(&opened, "encoding") != NULL &&
              buf_is(payload_metadata(&opened, "encoding"), "json/plain"),
          "known vector: wrong metadata");
    CHECK(buf_is(&opened.data, "\"hi\""), "known vector: data %.*s", (int)opened.data.len,
          opened.data.data);

    /* Our serialization of that payload is the one sealed in the vector:
     * sealing it under the same nonce gives the same bytes. */
    payload_serialize(&opened, &serialized);
    {
        struct buf resealed = {NULL, 0, 0};
        CHECK(aes_seal(sealed.data.data, &serialized, &resealed), "aes_seal");
        CHECK(resealed.len == sealed.data.len &&
                  memcmp(resealed.data, sealed.data.data, resealed.len) == 0,
              "resealing the known vector gives other bytes");
        buf_free(&resealed);
    }

    /* A round trip through the JSON form, with metadata needing escapes. */
    payload_add_metadata(&plain, "encoding", 8, "json/plain", 10);
    payload_add_metadata(&plain, "we\"ird\\name", 11, "\x00\xff", 2);
    buf_text(&plain.data, "{\"secret\":\"" SECRET "\"}");
    CHECK(codec_encode_one(&plain, &again, why, sizeof why), "encode: %s", why);
    CHECK(memmem(again.data.data, again.data.len, SECRET, strlen(SECRET)) == NULL,
          "the ciphertext holds the secret");
    {
        struct buf json = {NULL, 0, 0};
        struct payload *parsed = NULL;
        size_t count = 0;
        payloads_to_json(&again, 1, &json);
        CHECK(payloads_from_json(buf_cstr(&json), &parsed, &count, why, sizeof why) &&
                  count == 1,
              "reading back %s: %s", buf_cstr(&json), why);
        CHECK(codec_decode_one(&parsed[0], &round, why, sizeof why), "decode: %s", why);
        payloads_free(parsed, count);
        buf_free(&json);
    }
    CHECK(round.metadata_count == 2 && buf_is(&round.data, (const char *)buf_cstr(&plain.data)),
          "round trip changed the payload");
    CHECK(payload_metadata(&round, "we\"ird\\name") != NULL &&
              payload_metadata(&round, "we\"ird\\name")->len == 2 &&
              memcmp(payload_metadata(&round, "we\"ird\\name")->data, "\x00\xff", 2) == 0,
          "round trip lost the binary metadata");

    /* A payload this codec did not encrypt passes decode unchanged. */
    payload_free(&round);
    CHECK(codec_decode_one(&plain, &round, why, sizeof why) && round.metadata_count == 2 &&
              buf_is(&round.data, (const char *)buf_cstr(&plain.data)),
          "decode changed a plain payload");

    /* Tampering is caught. */
    again.data.data[NONCE_SIZE] ^= 1;
    payload_free(&round);
    CHECK(!codec_decode_one(&again, &round, why, sizeof why), "a tampered payload decoded");

    /* An empty payload: nonce and tag only, and back to empty. */
    payload_free(&plain);
    payload_free(&again);
    payload_free(&round);
    CHECK(codec_encode_one(&plain, &again, why, sizeof why), "encode empty: %s", why);
    CHECK(again.data.len == NONCE_SIZE + TAG_SIZE, "an empty payload sealed into %zu bytes",
          again.data.len);
    CHECK(codec_decode_one(&again, &round, why, sizeof why), "decode empty: %s", why);
    CHECK(round.metadata_count == 0 && round.data.len == 0, "an empty payload came back filled");

    payload_free(&sealed);
    payload_free(&opened);
    payload_free(&plain);
    payload_free(&again);
    payload_free(&round);
    buf_free(&serialized);
    printf("ok - the C AES-GCM codec decodes the Go codec's vector and round-trips\n");
}

/* ------------------------------------------------------------ workflows */

/* Starts CodecEchoWorkflow on the codec worker's queue with JSON array
 * `args`: the status, and the error (free it) unless it succeeded. */
static TbStatus start_echo(const TbClient *client, const char *workflow_id, const char *args,
                           char **error_out) {
    char request[1024];
    snprintf(request, sizeof request,
             "{\"workflow_type\":\"CodecEchoWorkflow\",\"task_queue\":\"%s\","
             "\"workflow_id\":\"%s\",\"args\":%s,\"execution_timeout\":\"5m\","
             "\"call_timeout\":\"" CALL_TIMEOUT "\"}",
             test_env("TB_CODEC_TASK_QUEUE"), workflow_id, args);
    return tb_workflow_start(client, request, NULL, NULL, error_out);
}

static void signal_ok(const TbClient *client, const char *workflow_id, const char *name,
                      const char *args) {
    char request[1024];
    char *error = NULL;
    TbStatus status;
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"signal_name\":\"%s\",\"args\":%s,"
             "\"call_timeout\":\"" CALL_TIMEOUT "\"}",
             workflow_id, name, args);
    status = tb_workflow_signal(client, request, NULL, NULL, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
}

/* The workflow's result must be exactly `want`. */
static void check_result(const TbClient *client, const char *workflow_id, const char *want) {
    char *response = NULL, *error = NULL;
    TbStatus status = get_result(client, workflow_id, CALL_TIMEOUT, &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK_AT(response, want, "result");
    tb_string_free(response);
}

/* Starts, signals, queries, updates and finishes CodecEchoWorkflow under a
 * fresh ID made from `what` (written to `workflow_id`), checking every
 * value that came back. */
static void echo_round_trip(const TbClient *client, const char *what, char *workflow_id,
                            size_t size) {
    char request[1024];
    char *response = NULL, *error = NULL;
    TbStatus status;

    unique_id(what, workflow_id, size);
    status = start_echo(client, workflow_id, "[" SECRET_INPUT "]", &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    signal_ok(client, workflow_id, "append", "[\"first signal\"]");

    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"query_type\":\"state\","
             "\"call_timeout\":\"" CALL_TIMEOUT "\"}",
             workflow_id);
    status = tb_workflow_query(client, request, NULL, &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK_AT(response, "{\"input\":" SECRET_INPUT ",\"signals\":[\"first signal\"]}", "result");
    tb_string_free(response);
    response = NULL;

    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"update_name\":\"set_input\",\"args\":[{\"n\":2}],"
             "\"call_timeout\":\"" CALL_TIMEOUT "\"}",
             workflow_id);
    status = tb_workflow_execute_update(client, request, NULL, &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK_AT(response, "{\"previous\":" SECRET_INPUT "}", "result");
    tb_string_free(response);

    signal_ok(client, workflow_id, "finish", "[\"ok\"]");
    check_result(client, workflow_id, ECHO_RESULT);
}

/* The workflow's history, as stored or decoded (free it). */
static char *fetch_history(const TbClient *client, const char *workflow_id, int decode) {
    char request[512];
    snprintf(request, sizeof request,
             "{\"workflow_id\":\"%s\",\"decode\":%s,\"call_timeout\":\"" CALL_TIMEOUT "\"}",
             workflow_id, decode ? "true" : "false");
    return call_ok(client, "fetch_history", request);
}

/* The first event of type `type` (e.g. "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
 * with quotes) in `history`. */
static const char *history_event(const char *history, const char *type) {
    const char *cursor = json_member(history, "events"), *event;
    while (cursor != NULL && json_next(&cursor, NULL, &event) == 1)
        if (json_value_is(json_member(event, "eventType"), type)) return event;
    TB_FAIL("no %s event in %s", type, history);
}

/* Reads the only payload of `holder`, a {"payloads": [...]} object, into
 * `p` (empty before). */
static void only_payload(const char *holder, struct payload *p) {
    struct payload *parsed = NULL;
    size_t count = 0;
    char why[256] = "";
    CHECK(holder != NULL, "no payloads");
    CHECK(payloads_from_json(holder, &parsed, &count, why, sizeof why) && count == 1,
          "payloads %.200s: %s", holder, why);
    *p = parsed[0];
    free(parsed);
}

/* `holder`'s only payload as stored: the test codec's ciphertext of the
 * JSON text `want`, which it decrypts to. */
static void check_stored_payload(const char *holder, const char *want) {
    struct payload sealed = {0}, opened = {0};
    char why[256];
    only_payload(holder, &sealed);
    CHECK(sealed.metadata_count == 2 &&
              buf_is(payload_metadata(&sealed, "encoding"), ENCODING_ENCRYPTED) &&
              buf_is(payload_metadata(&sealed, "encryption-key-id"), CODEC_KEY_ID),
          "stored payload %.200s: not the test codec's metadata", holder);
    CHECK(memmem(sealed.data.data, sealed.data.len, SECRET, strlen(SECRET)) == NULL,
          "a stored payload holds the secret in the clear");
    /* Whoever encrypted it (this program, the Python worker or the Go codec
     * server), the C codec opens it. */
    CHECK(codec_decode_one(&sealed, &opened, why, sizeof why), "stored payload: %s", why);
    CHECK(buf_is(&opened.data, want), "stored payload decrypts to %.*s",
          (int)opened.data.len, opened.data.data);
    payload_free(&sealed);
    payload_free(&opened);
}

/* `holder`'s only payload decoded: json/plain, the JSON text `want`. */
static void check_plain_payload(const char *holder, const char *want) {
    struct payload plain = {0};
    only_payload(holder, &plain);
    CHECK(plain.metadata_count == 1 && payload_metadata(&plain, "encoding") != NULL &&
              buf_is(payload_metadata(&plain, "encoding"), "json/plain"),
          "decoded payload %.200s: not json/plain", holder);
    CHECK(buf_is(&plain.data, want), "decoded payload is %.*s", (int)plain.data.len,
          plain.data.data);
    payload_free(&plain);
}

#define STARTED "\"EVENT_TYPE_WORKFLOW_EXECUTION_STARTED\""
#define COMPLETED "\"EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED\""

/* The history of an echo_round_trip workflow holds ciphertext only; with
 * "decode": true, through the client's codec, the plain payloads. */
static void check_history(const TbClient *client, const char *workflow_id) {
    char *stored = fetch_history(client, workflow_id, 0);
    char *decoded = fetch_history(client, workflow_id, 1);

    CHECK_LACKS(stored, SECRET);
    CHECK_LACKS(stored, B64_JSON_PLAIN);
    CHECK_AT(json_first_element(json_path(history_event(stored, STARTED),
                                          "workflowExecutionStartedEventAttributes", "input",
                                          "payloads", (const char *)NULL)),
             B64_BINARY_ENCRYPTED, "metadata", "encoding");
    CHECK_AT(json_first_element(json_path(history_event(stored, STARTED),
                                          "workflowExecutionStartedEventAttributes", "input",
                                          "payloads", (const char *)NULL)),
             B64_TEST_KEY_1, "metadata", "encryption-key-id");
    check_stored_payload(json_path(history_event(stored, STARTED),
                                   "workflowExecutionStartedEventAttributes", "input",
                                   (const char *)NULL),
                         SECRET_INPUT);
    check_stored_payload(json_path(history_event(stored, COMPLETED),
                                   "workflowExecutionCompletedEventAttributes", "result",
                                   (const char *)NULL),
                         ECHO_RESULT);

    CHECK_LACKS(decoded, B64_BINARY_ENCRYPTED);
    CHECK_AT(json_first_element(json_path(history_event(decoded, STARTED),
                                          "workflowExecutionStartedEventAttributes", "input",
                                          "payloads", (const char *)NULL)),
             B64_JSON_PLAIN, "metadata", "encoding");
    check_plain_payload(json_path(history_event(decoded, STARTED),
                                  "workflowExecutionStartedEventAttributes", "input",
                                  (const char *)NULL),
                        SECRET_INPUT);
    check_plain_payload(json_path(history_event(decoded, COMPLETED),
                                  "workflowExecutionCompletedEventAttributes", "result",
                                  (const char *)NULL),
                        ECHO_RESULT);
    tb_string_free(stored);
    tb_string_free(decoded);
}

/* The workflow must not exist (asked without a codec). */
static void check_not_started(const TbClient *plain, const char *workflow_id) {
    char request[256];
    char *error = NULL;
    TbStatus status;
    snprintf(request, sizeof request, "{\"workflow_id\":\"%s\"}", workflow_id);
    status = tb_workflow_describe(plain, request, NULL, NULL, &error);
    CHECK_ERROR(status, TB_STATUS_NOT_FOUND, error, workflow_id);
    tb_string_free(error);
}

/* --------------------------------------------------------------- tests */

static void test_round_trip(void) {
    struct codec_state state;
    TbClient *client;
    char workflow_id[128];

    codec_state_init(&state);
    client = connect_with_codec(&state);
    echo_round_trip(client, "codec-c", workflow_id, sizeof workflow_id);
    check_history(client, workflow_id);
    /* start, two signals and the update's argument went out; the query's,
     * the update's and the workflow's results came back. */
    CHECK(atomic_load(&state.encode_calls) >= 4, "encode ran %d times",
          atomic_load(&state.encode_calls));
    CHECK(atomic_load(&state.decode_calls) >= 3, "decode ran %d times",
          atomic_load(&state.decode_calls));
    CHECK(atomic_load(&state.release_calls) == 0, "released while in use");
    tb_client_free(client);
    CHECK(atomic_load(&state.release_calls) == 1, "release ran %d times after the free",
          atomic_load(&state.release_calls));
    codec_state_destroy(&state);
    printf("ok - a C codec: start, signal, query, update and result through it; the history "
           "stored encrypted, decoded on request; released once\n");
}

/* "Reveal": an activity served through the codec: its argument arrives
 * decrypted, its result leaves encrypted. */
static void reveal(void *user_data, TbActivityTask *task) {
    const char *info = tb_activity_task_info(task);
    char *error = NULL;
    TbStatus status;
    (void)user_data;
    CHECK_HAS(info, "\"args\":[" SECRET_INPUT "]");
    status = tb_activity_task_answer(task, "{\"result\":{\"revealed\":\"" SECRET "\"}}", &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    tb_activity_task_free(task);
}

static void test_activity_worker(void) {
    struct codec_state state;
    TbClient *client;
    TbWorker *worker = NULL;
    char queue[128], workflow_id[128], request[1024], options[256];
    char *response = NULL, *error = NULL, *stored;
    TbStatus status;

    codec_state_init(&state);
    client = connect_with_codec(&state);
    unique_id("codec-activities", queue, sizeof queue);
    snprintf(options, sizeof options, "{\"task_queue\":\"%s\"}", queue);
    status = tb_worker_new(client, options, &worker, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    status = tb_worker_register(worker, "Reveal", reveal, NULL, NULL, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    status = tb_worker_start(worker, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);

    unique_id("codec-call-activity", workflow_id, sizeof workflow_id);
    snprintf(request, sizeof request,
             "{\"workflow_type\":\"CallActivityWorkflow\",\"task_queue\":\"%s\","
             "\"workflow_id\":\"%s\",\"args\":[{\"activity\":\"Reveal\",\"task_queue\":\"%s\","
             "\"args\":[" SECRET_INPUT "]}]}",
             test_env("TB_CODEC_TASK_QUEUE"), workflow_id, queue);
    status = tb_workflow_start(client, request, NULL, NULL, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    status = get_result(client, workflow_id, "60s", &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK_HAS(response, "\"result\":{\"revealed\":\"" SECRET "\"}");
    tb_string_free(response);
    /* The activity's input and result are stored encrypted too. */
    stored = fetch_history(client, workflow_id, 0);
    CHECK_HAS(stored, "EVENT_TYPE_ACTIVITY_TASK_COMPLETED");
    CHECK_LACKS(stored, SECRET);
    CHECK_LACKS(stored, B64_JSON_PLAIN);
    tb_string_free(stored);
    tb_worker_free(worker);
    tb_client_free(client);
    codec_state_destroy(&state);
    printf("ok - an activity worker with a C codec: the task's arguments decrypted, its "
           "result encrypted, nothing in the clear in the history\n");
}

static void test_failure_decoded(void) {
    struct codec_state state;
    TbClient *client;
    char workflow_id[128];
    char *error = NULL, *stored, *decoded;
    const char *failure;
    TbStatus status;

    codec_state_init(&state);
    client = connect_with_codec(&state);
    unique_id("codec-fail", workflow_id, sizeof workflow_id);
    status = start_echo(client, workflow_id, "[" SECRET_INPUT "]", &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    signal_ok(client, workflow_id, "finish", "[\"fail\"]");
    status = get_result(client, workflow_id, CALL_TIMEOUT, NULL, &error);
    CHECK_ERROR(status, TB_STATUS_WORKFLOW_FAILED, error, "codec workflow failed on request");
    failure = json_path(error, "details", "failure", (const char *)NULL);
    CHECK(failure != NULL, "no failure in %s", error);
    CHECK_AT(failure, "\"codec workflow failed on request\"", "message");
    CHECK_AT(failure, "\"CodecRequestedFailure\"", "type");
    CHECK_AT(failure, "true", "non_retryable");
    CHECK_HAS(failure, "python_worker.py"); /* the stack trace, also restored */
    CHECK_LACKS(error, "Encoded failure");
    /* The details, [state], were decoded too. */
    CHECK_AT(failure, "[{\"input\":" SECRET_INPUT ",\"signals\":[]}]", "details");
    tb_string_free(error);

    /* As stored, the message was the placeholder the worker left, the real
     * one encrypted in the encoded attributes. */
    stored = fetch_history(client, workflow_id, 0);
    CHECK_HAS(stored, "\"message\":\"Encoded failure\"");
    CHECK_HAS(stored, "\"encodedAttributes\":{");
    CHECK_LACKS(stored, "python_worker.py");
    CHECK_LACKS(stored, "codec workflow failed on request");
    decoded = fetch_history(client, workflow_id, 1);
    CHECK_HAS(decoded, "\"message\":\"codec workflow failed on request\"");
    tb_string_free(stored);
    tb_string_free(decoded);
    tb_client_free(client);
    CHECK(atomic_load(&state.release_calls) == 1, "release ran %d times",
          atomic_load(&state.release_calls));
    codec_state_destroy(&state);
    printf("ok - a workflow failure encoded by the worker comes back with its message, type "
           "and details\n");
}

#define THREADS 8

struct echo_thread {
    pthread_t thread;
    const TbClient *client;
    int index;
    char workflow_id[128];
};

static void *echo_thread_main(void *arg) {
    struct echo_thread *self = (struct echo_thread *)arg;
    char args[128], want[256];
    char *error = NULL;
    TbStatus status;
    snprintf(args, sizeof args, "[{\"secret\":\"" SECRET "\",\"thread\":%d}]", self->index);
    status = start_echo(self->client, self->workflow_id, args, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    signal_ok(self->client, self->workflow_id, "append", "[\"x\"]");
    signal_ok(self->client, self->workflow_id, "finish", "[\"ok\"]");
    snprintf(want, sizeof want,
             "{\"input\":{\"secret\":\"" SECRET "\",\"thread\":%d},\"signals\":[\"x\"]}",
             self->index);
    check_result(self->client, self->workflow_id, want);
    return NULL;
}

static void test_concurrent_threads(void) {
    struct codec_state state;
    struct echo_thread threads[THREADS];
    TbClient *client;
    int i;

    codec_state_init(&state);
    /* The starts' encodes wait for each other: they all run at once or the
     * test sees it (their peak in flight). */
    state.gather = THREADS;
    client = connect_with_codec(&state);
    for (i = 0; i < THREADS; i++) {
        threads[i].client = client;
        threads[i].index = i;
        unique_id("codec-thread", threads[i].workflow_id, sizeof threads[i].workflow_id);
        CHECK(pthread_create(&threads[i].thread, NULL, echo_thread_main, &threads[i]) == 0,
              "pthread_create");
    }
    for (i = 0; i < THREADS; i++) CHECK(pthread_join(threads[i].thread, NULL) == 0, "join");
    pthread_mutex_lock(&state.lock);
    CHECK(state.gathered == THREADS, "%d starts encoded", state.gathered);
    pthread_mutex_unlock(&state.lock);
    CHECK(atomic_load(&state.peak_in_flight) >= THREADS,
          "at most %d callbacks ran at once, wanted %d", atomic_load(&state.peak_in_flight),
          THREADS);
    CHECK(atomic_load(&state.encode_calls) >= 3 * THREADS, "encode ran %d times",
          atomic_load(&state.encode_calls));
    CHECK(atomic_load(&state.decode_calls) >= THREADS, "decode ran %d times",
          atomic_load(&state.decode_calls));
    CHECK(atomic_load(&state.in_flight) == 0, "callbacks still running");
    tb_client_free(client);
    CHECK(atomic_load(&state.release_calls) == 1, "release ran %d times",
          atomic_load(&state.release_calls));
    printf("ok - %d threads on one client: every result right, %d callbacks at once "
           "(%d encodes, %d decodes)\n",
           THREADS, atomic_load(&state.peak_in_flight), atomic_load(&state.encode_calls),
           atomic_load(&state.decode_calls));
    codec_state_destroy(&state);
}

/* Connects with the codec server at TB_CODEC_ENDPOINT, `auth` as its
 * Authorization. */
static TbClient *connect_with_server(const char *auth) {
    char options[1024];
    char *error = NULL;
    TbClient *client = NULL;
    TbStatus status;
    snprintf(options, sizeof options,
             "{\"target\":\"%s\",\"namespace\":\"%s\","
             "\"codec\":{\"endpoint\":\"%s\",\"auth\":\"%s\"}}",
             test_env("TB_TARGET"), test_namespace(), test_env("TB_CODEC_ENDPOINT"), auth);
    status = tb_client_connect(options, &client, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    return client;
}

static void test_codec_server(const TbClient *plain) {
    TbClient *client = connect_with_server("Bearer c-tests");
    char workflow_id[128];
    char *error = NULL;
    TbStatus status;

    echo_round_trip(client, "codec-server", workflow_id, sizeof workflow_id);
    check_history(client, workflow_id);
    tb_client_free(client);

    client = connect_with_server("Bearer wrong");
    unique_id("codec-server-401", workflow_id, sizeof workflow_id);
    status = start_echo(client, workflow_id, "[" SECRET_INPUT "]", &error);
    CHECK_ERROR(status, TB_STATUS_CODEC, error, "HTTP 401");
    CHECK_AT(error, "\"encode\"", "details", "direction");
    CHECK_AT(error, "\"StartWorkflowExecution\"", "details", "call");
    CHECK_LACKS(error, SECRET);
    CHECK_LACKS(error, "Bearer");
    tb_string_free(error);
    tb_client_free(client);
    check_not_started(plain, workflow_id);
    printf("ok - the codec server: the same round trip; a wrong Authorization is a codec "
           "error naming HTTP 401, nothing started\n");
}

/* With the encode callback in `mode`, a start fails with a codec error
 * containing `mention`, and nothing is started. */
static void check_bad_encode(const TbClient *client, struct codec_state *state,
                             const TbClient *plain, enum encode_mode mode, const char *mention) {
    char workflow_id[128];
    char *error = NULL;
    TbStatus status;
    atomic_store(&state->mode, mode);
    unique_id("codec-bad", workflow_id, sizeof workflow_id);
    status = start_echo(client, workflow_id, "[" SECRET_INPUT "]", &error);
    CHECK_ERROR(status, TB_STATUS_CODEC, error, mention);
    CHECK_HAS(error, "\"kind\":\"codec\"");
    CHECK_HAS(error, "the payload codec could not encode the 1 payload of StartWorkflowExecution");
    CHECK_AT(error, "\"encode\"", "details", "direction");
    CHECK_AT(error, "\"StartWorkflowExecution\"", "details", "call");
    CHECK_AT(error, "1", "details", "payloads");
    CHECK_LACKS(error, SECRET);
    tb_string_free(error);
    check_not_started(plain, workflow_id);
}

static void test_bad_callbacks(const TbClient *plain) {
    struct codec_state state;
    TbClient *client;
    char workflow_id[128];
    char *error = NULL;
    TbStatus status;

    codec_state_init(&state);
    client = connect_with_codec(&state);
    check_bad_encode(client, &state, plain, ENCODE_FAILS, "vault locked");
    check_bad_encode(client, &state, plain, ENCODE_ANSWERS_NOTHING, "returned without calling");
    check_bad_encode(client, &state, plain, ENCODE_ANSWERS_NONE, "returned 0 payloads for 1");
    check_bad_encode(client, &state, plain, ENCODE_ANSWERS_GARBAGE, "is not JSON");

    /* Only the first answer counts; the later ones are refused. */
    atomic_store(&state.mode, ENCODE_ANSWERS_TWICE);
    unique_id("codec-twice", workflow_id, sizeof workflow_id);
    status = start_echo(client, workflow_id, "[" SECRET_INPUT "]", &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK_STATUS(atomic_load(&state.null_reply_status), TB_STATUS_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(atomic_load(&state.second_payloads_status), TB_STATUS_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(atomic_load(&state.second_error_status), TB_STATUS_INVALID_ARGUMENT, NULL);
    atomic_store(&state.mode, ENCODE_PROPERLY);
    signal_ok(client, workflow_id, "finish", "[\"ok\"]");
    check_result(client, workflow_id, "{\"input\":" SECRET_INPUT ",\"signals\":[]}");

    /* Outside a callback: a NULL reply. */
    CHECK_STATUS(tb_codec_reply_payloads(NULL, "{\"payloads\":[]}"), TB_STATUS_INVALID_ARGUMENT,
                 NULL);
    CHECK_STATUS(tb_codec_reply_error(NULL, "x"), TB_STATUS_INVALID_ARGUMENT, NULL);

    tb_client_free(client);
    CHECK(atomic_load(&state.release_calls) == 1, "release ran %d times",
          atomic_load(&state.release_calls));
    codec_state_destroy(&state);
    printf("ok - a callback that fails, answers nothing, no payloads or no JSON fails the "
           "start with a codec error and nothing started; a second answer is refused\n");
}

/* tb_client_connect_with_codec with `options` and `codec` must fail with
 * invalid_argument mentioning `mention`. */
static void check_connect_refused(const char *options, const TbPayloadCodec *codec,
                                  TbClient **client_out, const char *mention) {
    char *error = NULL;
    TbStatus status;
    if (client_out != NULL) *client_out = NULL;
    status = tb_client_connect_with_codec(options, codec, client_out, &error);
    if (status == TB_STATUS_OK && client_out != NULL) tb_client_free(*client_out);
    CHECK_ERROR(status, TB_STATUS_INVALID_ARGUMENT, error, mention);
    CHECK(client_out == NULL || *client_out == NULL, "client_out written on failure");
    tb_string_free(error);
}

static void test_bad_arguments(void) {
    struct codec_state state;
    TbPayloadCodec codec;
    TbClient *client = NULL;
    char options[512], with_server[1024];

    snprintf(options, sizeof options, "{\"target\":\"%s\",\"namespace\":\"%s\"}",
             test_env("TB_TARGET"), test_namespace());
    codec_state_init(&state);

    check_connect_refused(options, NULL, &client, "\"argument\":\"codec\"");
    codec = test_codec(&state);
    codec.encode = NULL;
    check_connect_refused(options, &codec, &client, "codec->encode");
    codec = test_codec(&state);
    codec.decode = NULL;
    check_connect_refused(options, &codec, &client, "codec->decode");
    /* Not accepted: never released. */
    CHECK(atomic_load(&state.release_calls) == 0, "a refused codec was released");

    /* Accepted, then the connect fails: released once, at once. */
    codec = test_codec(&state);
    check_connect_refused("{\"target\": ", &codec, &client, NULL);
    CHECK(atomic_load(&state.release_calls) == 1, "release ran %d times after bad options",
          atomic_load(&state.release_calls));
    check_connect_refused("{\"target\":\"127.0.0.1:1\",\"no_such_option\":1}", &codec, &client,
                          "no_such_option");
    CHECK(atomic_load(&state.release_calls) == 2, "release ran %d times after an unknown option",
          atomic_load(&state.release_calls));
    snprintf(with_server, sizeof with_server,
             "{\"target\":\"%s\",\"namespace\":\"%s\",\"codec\":{\"endpoint\":\"%s\"}}",
             test_env("TB_TARGET"), test_namespace(), test_env("TB_CODEC_ENDPOINT"));
    check_connect_refused(with_server, &codec, &client, "codec.endpoint");
    CHECK(atomic_load(&state.release_calls) == 3, "release ran %d times with a codec server too",
          atomic_load(&state.release_calls));
    check_connect_refused(options, &codec, NULL, "client_out");
    CHECK(atomic_load(&state.release_calls) == 4, "release ran %d times without client_out",
          atomic_load(&state.release_calls));
    CHECK(atomic_load(&state.encode_calls) == 0 && atomic_load(&state.decode_calls) == 0,
          "a codec of a failed connect was called");
    codec_state_destroy(&state);
    printf("ok - tb_client_connect_with_codec: NULL codec or callbacks, bad options, a codec "
           "server as well, no client_out: invalid_argument; release once when accepted\n");
}

/* The outcome of an async call or connect, handed over between threads. */
struct outcome {
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    int calls;
    TbStatus status;
    TbClient *client;
    char error[1024];
};

static void outcome_init(struct outcome *outcome) {
    memset(outcome, 0, sizeof *outcome);
    CHECK(pthread_mutex_init(&outcome->lock, NULL) == 0, "pthread_mutex_init");
    CHECK(pthread_cond_init(&outcome->done_cond, NULL) == 0, "pthread_cond_init");
}

static void outcome_destroy(struct outcome *outcome) {
    pthread_mutex_destroy(&outcome->lock);
    pthread_cond_destroy(&outcome->done_cond);
}

static void outcome_set(struct outcome *outcome, TbStatus status, TbClient *client,
                        const char *error) {
    pthread_mutex_lock(&outcome->lock);
    outcome->calls++;
    outcome->status = status;
    outcome->client = client;
    if (error != NULL) snprintf(outcome->error, sizeof outcome->error, "%s", error);
    pthread_cond_broadcast(&outcome->done_cond);
    pthread_mutex_unlock(&outcome->lock);
}

static void on_call_done(void *user_data, TbStatus status, const char *response,
                         const char *error) {
    (void)response;
    outcome_set((struct outcome *)user_data, status, NULL, error);
}

static void on_connected(void *user_data, TbStatus status, TbClient *client,
                         const char *error) {
    outcome_set((struct outcome *)user_data, status, client, error);
}

/* Waits (at most 60 s) for the outcome. */
static void outcome_wait(struct outcome *outcome, const char *what) {
    struct timespec deadline = deadline_after(60);
    pthread_mutex_lock(&outcome->lock);
    while (outcome->calls == 0)
        if (pthread_cond_timedwait(&outcome->done_cond, &outcome->lock, &deadline) == ETIMEDOUT)
            TB_FAIL("%s never called back", what);
    pthread_mutex_unlock(&outcome->lock);
}

/* Waits (at most 30 s) until `counter` reads `want`. */
static void wait_for_count(atomic_int *counter, int want, const char *what) {
    double deadline = now_seconds() + 30.0;
    while (atomic_load(counter) != want) {
        CHECK(now_seconds() < deadline, "%s: %d, wanted %d", what, atomic_load(counter), want);
        sleep_seconds(0.01);
    }
}

static void test_release_after_running_callback(const TbClient *plain) {
    struct codec_state state;
    struct outcome done;
    TbClient *client;
    char workflow_id[128], request[1024];
    TbStatus status;

    codec_state_init(&state);
    outcome_init(&done);
    atomic_store(&state.mode, ENCODE_BLOCKS);
    client = connect_with_codec(&state);
    unique_id("codec-release", workflow_id, sizeof workflow_id);
    snprintf(request, sizeof request,
             "{\"workflow_type\":\"CodecEchoWorkflow\",\"task_queue\":\"%s\","
             "\"workflow_id\":\"%s\",\"args\":[" SECRET_INPUT "],"
             "\"call_timeout\":\"" CALL_TIMEOUT "\"}",
             test_env("TB_CODEC_TASK_QUEUE"), workflow_id);
    status = tb_workflow_start_async(client, request, NULL, on_call_done, &done);
    CHECK_STATUS(status, TB_STATUS_OK, NULL);
    wait_for_count(&state.encode_calls, 1, "encodes begun");

    /* Freed while its codec runs: the call ends, the codec stays. */
    tb_client_free(client);
    outcome_wait(&done, "the start");
    CHECK_STATUS(done.status, TB_STATUS_CANCELLED, done.error);
    CHECK(atomic_load(&state.release_calls) == 0, "released while a callback runs");

    pthread_mutex_lock(&state.lock);
    state.unblocked = 1;
    pthread_cond_broadcast(&state.gathered_cond);
    pthread_mutex_unlock(&state.lock);
    wait_for_count(&state.release_calls, 1, "releases after the callback returned");
    CHECK(atomic_load(&state.in_flight) == 0, "released before the callback returned");
    /* What the callback encoded after the free was not sent. */
    check_not_started(plain, workflow_id);
    CHECK(done.calls == 1, "the start called back %d times", done.calls);
    outcome_destroy(&done);
    codec_state_destroy(&state);
    printf("ok - a client freed while its codec runs: the call is cancelled, nothing sent, "
           "release only once the callback returned\n");
}

static void test_connect_async(void) {
    struct codec_state state;
    struct outcome connected;
    TbPayloadCodec codec;
    TbClient *client;
    char options[512], workflow_id[128];
    char *error = NULL;
    TbStatus status;

    snprintf(options, sizeof options, "{\"target\":\"%s\",\"namespace\":\"%s\"}",
             test_env("TB_TARGET"), test_namespace());
    codec_state_init(&state);
    codec = test_codec(&state);

    /* No callback: refused at once, the codec not accepted. */
    status = tb_client_connect_with_codec_async(options, &codec, NULL, NULL);
    CHECK_STATUS(status, TB_STATUS_INVALID_ARGUMENT, NULL);
    CHECK(atomic_load(&state.release_calls) == 0, "a refused codec was released");

    /* No codec: the callback says so. */
    outcome_init(&connected);
    status = tb_client_connect_with_codec_async(options, NULL, on_connected, &connected);
    CHECK_STATUS(status, TB_STATUS_OK, NULL);
    outcome_wait(&connected, "connect without a codec");
    CHECK_ERROR(connected.status, TB_STATUS_INVALID_ARGUMENT, connected.error,
                "\"argument\":\"codec\"");
    CHECK(connected.client == NULL, "a client without a codec");
    outcome_destroy(&connected);

    /* Bad options: the callback says so, and the codec is released. */
    outcome_init(&connected);
    status = tb_client_connect_with_codec_async("{\"target\": ", &codec, on_connected,
                                                &connected);
    CHECK_STATUS(status, TB_STATUS_OK, NULL);
    outcome_wait(&connected, "connect with bad options");
    CHECK_ERROR(connected.status, TB_STATUS_INVALID_ARGUMENT, connected.error, NULL);
    wait_for_count(&state.release_calls, 1, "releases after bad options");
    outcome_destroy(&connected);

    /* A client that encodes and decodes through the codec. */
    outcome_init(&connected);
    status = tb_client_connect_with_codec_async(options, &codec, on_connected, &connected);
    CHECK_STATUS(status, TB_STATUS_OK, NULL);
    outcome_wait(&connected, "connect");
    CHECK_STATUS(connected.status, TB_STATUS_OK, connected.error);
    client = connected.client;
    CHECK(client != NULL, "no client");
    unique_id("codec-async", workflow_id, sizeof workflow_id);
    status = start_echo(client, workflow_id, "[" SECRET_INPUT "]", &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    signal_ok(client, workflow_id, "finish", "[\"ok\"]");
    check_result(client, workflow_id, "{\"input\":" SECRET_INPUT ",\"signals\":[]}");
    CHECK(atomic_load(&state.encode_calls) >= 2 && atomic_load(&state.decode_calls) >= 1,
          "the codec ran %d encodes, %d decodes", atomic_load(&state.encode_calls),
          atomic_load(&state.decode_calls));
    tb_client_free(client);
    CHECK(atomic_load(&state.release_calls) == 2, "release ran %d times",
          atomic_load(&state.release_calls));
    CHECK(connected.calls == 1, "connect called back %d times", connected.calls);
    outcome_destroy(&connected);
    codec_state_destroy(&state);
    printf("ok - tb_client_connect_with_codec_async: NULL callback refused, NULL codec and bad "
           "options reach the callback, the client it gives runs through the codec\n");
}

int main(void) {
    TbClient *plain;
    test_codec_offline();
    test_bad_arguments();
    plain = test_connect();
    test_round_trip();
    test_failure_decoded();
    test_activity_worker();
    test_concurrent_threads();
    test_codec_server(plain);
    test_bad_callbacks(plain);
    test_release_after_running_callback(plain);
    test_connect_async();
    tb_client_free(plain);
    return 0;
}
