package main

import "testing"

func TestEnvOr(t *testing.T) {
	t.Setenv("TB_EXAMPLE_ADDRESS", "")
	if got := envOr("TB_EXAMPLE_ADDRESS", "127.0.0.1:7233"); got != "127.0.0.1:7233" {
		t.Fatalf("unset variable: got %q", got)
	}
	t.Setenv("TB_EXAMPLE_ADDRESS", "temporal.example:7233")
	if got := envOr("TB_EXAMPLE_ADDRESS", "127.0.0.1:7233"); got != "temporal.example:7233" {
		t.Fatalf("set variable: got %q", got)
	}
}
