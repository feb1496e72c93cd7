package main

import (
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"

	"temporal-bridge/examples/go-worker/aescodec"
)

func TestConvertersFlags(t *testing.T) {
	if _, _, err := converters("rot13", false); err == nil {
		t.Fatal("unknown -codec: want an error")
	}

	dc, fc, err := converters("", false)
	if err != nil || fc != nil {
		t.Fatalf("no codec: failure converter %v, err %v", fc, err)
	}
	p, err := dc.ToPayload("x")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p.Metadata["encoding"]); got != "json/plain" {
		t.Fatalf("no codec: encoding %q", got)
	}

	dc, fc, err = converters("aes", false)
	if err != nil || fc != nil {
		t.Fatalf("-codec aes: failure converter %v, err %v", fc, err)
	}
	p, err = dc.ToPayload("x")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p.Metadata["encoding"]); got != aescodec.EncodingEncrypted {
		t.Fatalf("-codec aes: encoding %q", got)
	}
	var back string
	if err := dc.FromPayload(p, &back); err != nil || back != "x" {
		t.Fatalf("-codec aes: decoded %q, err %v", back, err)
	}

	for _, codec := range []string{"", "aes"} {
		_, fc, err = converters(codec, true)
		if err != nil || fc == nil {
			t.Fatalf("-codec %q -encode-failure-attributes: failure converter %v, err %v", codec, fc, err)
		}
		f := fc.ErrorToFailure(temporal.NewApplicationError("secret message", "T"))
		if f.GetMessage() != "Encoded failure" || f.GetEncodedAttributes() == nil {
			t.Fatalf("-codec %q: message %q, encoded attributes %v", codec, f.GetMessage(), f.GetEncodedAttributes())
		}
		wantEncoding := "json/plain"
		if codec == "aes" {
			wantEncoding = aescodec.EncodingEncrypted
		}
		if got := string(f.GetEncodedAttributes().Metadata["encoding"]); got != wantEncoding {
			t.Fatalf("-codec %q: encoded attributes encoding %q", codec, got)
		}
		var appErr *temporal.ApplicationError
		if err := fc.FailureToError(f); !errors.As(err, &appErr) || appErr.Message() != "secret message" {
			t.Fatalf("-codec %q: failure back to error gave %v", codec, err)
		}
	}
}
