package aescodec

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

func jsonPayload(t *testing.T, v interface{}) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRoundTrip(t *testing.T) {
	c := Default()
	in := []*commonpb.Payload{
		jsonPayload(t, map[string]interface{}{"a": 1.0, "b": "x"}),
		jsonPayload(t, "hello"),
		jsonPayload(t, nil),
		{}, // empty payload: no metadata, no data
	}
	enc, err := c.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) != len(in) {
		t.Fatalf("encoded %d payloads, want %d", len(enc), len(in))
	}
	for i, p := range enc {
		if got := string(p.Metadata[MetadataEncoding]); got != EncodingEncrypted {
			t.Errorf("payload %d: encoding %q", i, got)
		}
		if got := string(p.Metadata[MetadataKeyID]); got != TestKeyID {
			t.Errorf("payload %d: key id %q", i, got)
		}
		if len(p.Metadata) != 2 {
			t.Errorf("payload %d: metadata %v, want exactly encoding and key id", i, p.Metadata)
		}
	}
	dec, err := c.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if !proto.Equal(in[i], dec[i]) {
			t.Errorf("payload %d: round trip gave %v, want %v", i, dec[i], in[i])
		}
	}
	var got map[string]interface{}
	if err := converter.GetDefaultDataConverter().FromPayload(dec[0], &got); err != nil {
		t.Fatal(err)
	}
	if got["a"] != 1.0 || got["b"] != "x" {
		t.Fatalf("decoded value %v", got)
	}
}

// TestWireFormat checks the format byte for byte with the standard library
// alone: data = 12-byte nonce || AES-256-GCM(key, nonce, proto.Marshal(p)).
func TestWireFormat(t *testing.T) {
	in := jsonPayload(t, "format")
	enc, err := Default().Encode([]*commonpb.Payload{in})
	if err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher([]byte("temporal-bridge-test-key-32bytes"))
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	data := enc[0].Data
	plaintext, err := gcm.Open(nil, data[:12], data[12:], nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := proto.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(plaintext, want) {
		t.Fatalf("plaintext %x, want %x", plaintext, want)
	}
	if len(data) != 12+len(want)+16 {
		t.Fatalf("data is %d bytes, want nonce 12 + plaintext %d + tag 16", len(data), len(want))
	}
}

// TestKnownVector decodes a fixed payload: the JSON string "hi"
// (metadata encoding=json/plain, data `"hi"`) sealed under the test key with
// the nonce 000102030405060708090a0b. Other implementations of the test codec
// can decode the same bytes.
func TestKnownVector(t *testing.T) {
	data, err := hex.DecodeString(knownVectorHex)
	if err != nil {
		t.Fatal(err)
	}
	enc := &commonpb.Payload{
		Metadata: map[string][]byte{
			"encoding":          []byte("binary/encrypted"),
			"encryption-key-id": []byte("test-key-1"),
		},
		Data: data,
	}
	dec, err := Default().Decode([]*commonpb.Payload{enc})
	if err != nil {
		t.Fatal(err)
	}
	want := &commonpb.Payload{
		Metadata: map[string][]byte{"encoding": []byte("json/plain")},
		Data:     []byte(`"hi"`),
	}
	if !proto.Equal(dec[0], want) {
		t.Fatalf("decoded %v, want %v", dec[0], want)
	}
}

func TestUnencryptedPassesThrough(t *testing.T) {
	plain := jsonPayload(t, "plain")
	noMetadata := &commonpb.Payload{Data: []byte("raw")}
	dec, err := Default().Decode([]*commonpb.Payload{plain, noMetadata})
	if err != nil {
		t.Fatal(err)
	}
	if dec[0] != plain || dec[1] != noMetadata {
		t.Fatalf("unencrypted payloads changed: %v", dec)
	}
}

func TestWrongKeyID(t *testing.T) {
	enc, err := (&Codec{KeyID: "other-key", Key: []byte(TestKey)}).Encode([]*commonpb.Payload{jsonPayload(t, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Default().Decode(enc)
	if err == nil || !strings.Contains(err.Error(), `"other-key"`) {
		t.Fatalf("want an error naming the unknown key id, got %v", err)
	}
}

func TestTruncatedData(t *testing.T) {
	enc, err := Default().Encode([]*commonpb.Payload{jsonPayload(t, "truncate me")})
	if err != nil {
		t.Fatal(err)
	}
	short := proto.Clone(enc[0]).(*commonpb.Payload)
	short.Data = short.Data[:NonceSize-1]
	if _, err := Default().Decode([]*commonpb.Payload{short}); err == nil {
		t.Fatal("data shorter than the nonce: want an error")
	}
	cut := proto.Clone(enc[0]).(*commonpb.Payload)
	cut.Data = cut.Data[:len(cut.Data)-1]
	if _, err := Default().Decode([]*commonpb.Payload{cut}); err == nil {
		t.Fatal("truncated ciphertext: want an error")
	}
	tampered := proto.Clone(enc[0]).(*commonpb.Payload)
	tampered.Data[NonceSize] ^= 1
	if _, err := Default().Decode([]*commonpb.Payload{tampered}); err == nil {
		t.Fatal("tampered ciphertext: want an error")
	}
}

func TestCiphertextDiffersFromPlaintext(t *testing.T) {
	in := jsonPayload(t, "a secret value")
	plaintext, err := proto.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	enc1, err := Default().Encode([]*commonpb.Payload{in})
	if err != nil {
		t.Fatal(err)
	}
	enc2, err := Default().Encode([]*commonpb.Payload{in})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(enc1[0].Data, plaintext) || bytes.Contains(enc1[0].Data, []byte("a secret value")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	if bytes.Equal(enc1[0].Data[:NonceSize], enc2[0].Data[:NonceSize]) || bytes.Equal(enc1[0].Data, enc2[0].Data) {
		t.Fatal("two encodings share a nonce")
	}
}

func TestEncodeDoesNotMutateInput(t *testing.T) {
	in := jsonPayload(t, "keep")
	before := proto.Clone(in)
	if _, err := Default().Encode([]*commonpb.Payload{in}); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(in, before) {
		t.Fatal("Encode modified its input")
	}
}

func TestBadKeyLength(t *testing.T) {
	if _, err := (&Codec{KeyID: TestKeyID, Key: []byte("short")}).Encode([]*commonpb.Payload{{}}); err == nil {
		t.Fatal("want an error for a key that is not 32 bytes")
	}
}

// knownVectorHex was produced independently (Python: temporalio's Payload
// SerializeToString and cryptography's AESGCM) for TestKnownVector.
const knownVectorHex = "000102030405060708090a0b" +
	"bf41c4d9c5a5d9f5c5b2249a9a230d1d5ecf56f2645e1bd532f3d492e7f986c7" +
	"bee291cb48aec641d5692985f229"
