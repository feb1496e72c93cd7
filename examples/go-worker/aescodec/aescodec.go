// Package aescodec is the "AES-GCM test codec" shared by temporal-bridge's
// payload-codec interop tests: the Go worker, the Python worker and the
// client all encrypt payloads in exactly this format.
//
// Encode turns each payload p into a new payload with metadata
// encoding=binary/encrypted and encryption-key-id=<KeyID>, whose data is
// nonce || AES-256-GCM-seal(nonce, proto.Marshal(p)) with a random 12-byte
// nonce and no additional data. Decode reverses that and leaves payloads
// whose encoding is not binary/encrypted unchanged.
//
// The key is a fixed, public test key: this codec is for tests only.
package aescodec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

const (
	// MetadataEncoding is the payload metadata key holding the encoding.
	MetadataEncoding = "encoding"
	// MetadataKeyID is the payload metadata key holding the key id.
	MetadataKeyID = "encryption-key-id"
	// EncodingEncrypted is the encoding of an encrypted payload.
	EncodingEncrypted = "binary/encrypted"

	// TestKeyID is the key id of the shared test key.
	TestKeyID = "test-key-1"
	// TestKey is the shared 32-byte (AES-256) test key.
	TestKey = "temporal-bridge-test-key-32bytes"

	// NonceSize is the AES-GCM nonce length prefixed to the ciphertext.
	NonceSize = 12
)

// Codec is a converter.PayloadCodec that encrypts every payload with
// AES-256-GCM under Key, tagging it with KeyID.
type Codec struct {
	KeyID string
	Key   []byte
}

var _ converter.PayloadCodec = (*Codec)(nil)

// Default is the codec with the shared test key (key id "test-key-1").
func Default() *Codec {
	return &Codec{KeyID: TestKeyID, Key: []byte(TestKey)}
}

func (c *Codec) aead() (cipher.AEAD, error) {
	if len(c.Key) != 32 {
		return nil, fmt.Errorf("aescodec: key must be 32 bytes for AES-256, got %d", len(c.Key))
	}
	block, err := aes.NewCipher(c.Key)
	if err != nil {
		return nil, fmt.Errorf("aescodec: %w", err)
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, NonceSize)
	if err != nil {
		return nil, fmt.Errorf("aescodec: %w", err)
	}
	return gcm, nil
}

// Encode encrypts each payload; the inputs are not modified.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	gcm, err := c.aead()
	if err != nil {
		return nil, err
	}
	result := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plaintext, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("aescodec: marshal payload %d: %w", i, err)
		}
		nonce := make([]byte, NonceSize, NonceSize+len(plaintext)+gcm.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("aescodec: nonce: %w", err)
		}
		result[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				MetadataEncoding: []byte(EncodingEncrypted),
				MetadataKeyID:    []byte(c.KeyID),
			},
			Data: gcm.Seal(nonce, nonce, plaintext, nil),
		}
	}
	return result, nil
}

// Decode decrypts each binary/encrypted payload and passes any other payload
// through unchanged; the inputs are not modified.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	var gcm cipher.AEAD
	result := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != EncodingEncrypted {
			result[i] = p
			continue
		}
		if keyID := string(p.GetMetadata()[MetadataKeyID]); keyID != c.KeyID {
			return nil, fmt.Errorf("aescodec: payload %d: unknown encryption key id %q", i, keyID)
		}
		data := p.GetData()
		if len(data) < NonceSize {
			return nil, fmt.Errorf("aescodec: payload %d: encrypted data is %d bytes, shorter than the %d-byte nonce", i, len(data), NonceSize)
		}
		if gcm == nil {
			var err error
			if gcm, err = c.aead(); err != nil {
				return nil, err
			}
		}
		plaintext, err := gcm.Open(nil, data[:NonceSize], data[NonceSize:], nil)
		if err != nil {
			return nil, fmt.Errorf("aescodec: payload %d: decrypt: %w", i, err)
		}
		decoded := &commonpb.Payload{}
		if err := proto.Unmarshal(plaintext, decoded); err != nil {
			return nil, fmt.Errorf("aescodec: payload %d: unmarshal: %w", i, err)
		}
		result[i] = decoded
	}
	return result, nil
}
