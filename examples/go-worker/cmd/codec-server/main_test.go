package main

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"temporal-bridge/examples/go-worker/aescodec"
)

const (
	testAuth      = "Bearer test-token"
	testNamespace = "codec-ns"
)

// post sends payloads to server+path with the given headers and returns the
// status and body.
func post(t *testing.T, url string, headers map[string]string, payloads []*commonpb.Payload) (int, []byte) {
	t.Helper()
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: payloads})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func decodePayloads(t *testing.T, body []byte) []*commonpb.Payload {
	t.Helper()
	var out commonpb.Payloads
	if err := protojson.Unmarshal(body, &out); err != nil {
		t.Fatalf("response %s: %v", body, err)
	}
	return out.Payloads
}

func TestEncodeThenDecode(t *testing.T) {
	var logs bytes.Buffer
	server := httptest.NewServer(newHandler(testAuth, testNamespace, log.New(&logs, "", 0)))
	defer server.Close()
	good := map[string]string{"Authorization": testAuth, "X-Namespace": testNamespace}

	plain, err := converter.GetDefaultDataConverter().ToPayloads(map[string]interface{}{"a": 1}, "two")
	if err != nil {
		t.Fatal(err)
	}

	status, body := post(t, server.URL+"/encode", good, plain.Payloads)
	if status != http.StatusOK {
		t.Fatalf("encode: %d %s", status, body)
	}
	encoded := decodePayloads(t, body)
	if len(encoded) != 2 {
		t.Fatalf("encode returned %d payloads", len(encoded))
	}
	for i, p := range encoded {
		if string(p.Metadata["encoding"]) != aescodec.EncodingEncrypted || string(p.Metadata["encryption-key-id"]) != aescodec.TestKeyID {
			t.Fatalf("payload %d metadata %v", i, p.Metadata)
		}
	}
	// The encoded payloads are the test codec's: the library decodes them.
	if direct, err := aescodec.Default().Decode(encoded); err != nil || string(direct[1].Data) != `"two"` {
		t.Fatalf("aescodec decode of the server's output: %v %v", direct, err)
	}

	// Any path prefix works; only the /decode suffix matters.
	status, body = post(t, server.URL+"/some/prefix/decode", good, encoded)
	if status != http.StatusOK {
		t.Fatalf("decode: %d %s", status, body)
	}
	decoded := decodePayloads(t, body)
	var first map[string]interface{}
	var second string
	dc := converter.GetDefaultDataConverter()
	if err := dc.FromPayload(decoded[0], &first); err != nil || first["a"] != 1.0 {
		t.Fatalf("first decoded payload %v: %v", first, err)
	}
	if err := dc.FromPayload(decoded[1], &second); err != nil || second != "two" {
		t.Fatalf("second decoded payload %q: %v", second, err)
	}

	// An unencrypted payload passes through /decode unchanged.
	status, body = post(t, server.URL+"/decode", good, plain.Payloads[:1])
	if status != http.StatusOK || string(decodePayloads(t, body)[0].Data) != `{"a":1}` {
		t.Fatalf("decode of a plain payload: %d %s", status, body)
	}

	if !strings.Contains(logs.String(), "POST /encode 200\n") || !strings.Contains(logs.String(), "POST /some/prefix/decode 200\n") {
		t.Fatalf("request log:\n%s", logs.String())
	}
}

func TestChecks(t *testing.T) {
	server := httptest.NewServer(newHandler(testAuth, testNamespace, log.New(io.Discard, "", 0)))
	defer server.Close()
	payloads := []*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte("1")}}

	for _, tc := range []struct {
		name    string
		headers map[string]string
		status  int
		message string
	}{
		{"no auth", map[string]string{"X-Namespace": testNamespace}, http.StatusUnauthorized, "Authorization"},
		{"wrong auth", map[string]string{"Authorization": "Bearer other", "X-Namespace": testNamespace}, http.StatusUnauthorized, "Authorization"},
		{"no namespace", map[string]string{"Authorization": testAuth}, http.StatusBadRequest, "X-Namespace"},
		{"wrong namespace", map[string]string{"Authorization": testAuth, "X-Namespace": "default"}, http.StatusBadRequest, "X-Namespace"},
		{"both right", map[string]string{"Authorization": testAuth, "X-Namespace": testNamespace}, http.StatusOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, server.URL+"/encode", tc.headers, payloads)
			if status != tc.status || !strings.Contains(string(body), tc.message) {
				t.Fatalf("got %d %q, want %d mentioning %q", status, body, tc.status, tc.message)
			}
		})
	}

	// A payload encrypted under another key id is a 400 from the codec.
	other, err := (&aescodec.Codec{KeyID: "other-key", Key: []byte(aescodec.TestKey)}).Encode(payloads)
	if err != nil {
		t.Fatal(err)
	}
	status, body := post(t, server.URL+"/decode", map[string]string{"Authorization": testAuth, "X-Namespace": testNamespace}, other)
	if status != http.StatusBadRequest || !strings.Contains(string(body), "other-key") {
		t.Fatalf("decode under an unknown key id: %d %s", status, body)
	}
}

func TestNoChecksConfigured(t *testing.T) {
	server := httptest.NewServer(newHandler("", "", log.New(io.Discard, "", 0)))
	defer server.Close()
	status, body := post(t, server.URL+"/encode", nil, []*commonpb.Payload{{Data: []byte("x")}})
	if status != http.StatusOK {
		t.Fatalf("%d %s", status, body)
	}
	// Anything but POST .../encode or .../decode is not found.
	resp, err := http.Get(server.URL + "/encode")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /encode: %d", resp.StatusCode)
	}
}
