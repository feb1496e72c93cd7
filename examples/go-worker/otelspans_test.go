package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
)

// readSpanLines parses every line of an -otel-spans file, insisting that each
// is a JSON object with exactly the documented fields.
func readSpanLines(t *testing.T, path string) []spanRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var spans []spanRecord
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := scanner.Bytes()
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(line, &fields); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		var keys []string
		for k := range fields {
			keys = append(keys, k)
		}
		if len(fields) != 7 || fields["name"] == nil || fields["trace_id"] == nil || fields["span_id"] == nil ||
			fields["parent_span_id"] == nil || fields["kind"] == nil || fields["links"] == nil || fields["attributes"] == nil {
			t.Fatalf("line %s: fields %v", line, keys)
		}
		var r spanRecord
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("line %s: %v", line, err)
		}
		if r.Links == nil || r.Attributes == nil {
			t.Fatalf("line %s: null links or attributes", line)
		}
		spans = append(spans, r)
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	return spans
}

func TestJSONLinesExporter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spans.jsonl")
	// Append mode: what is already in the file stays.
	if err := os.WriteFile(path, []byte(`{"name":"before","trace_id":"","span_id":"","parent_span_id":"","kind":"","links":[],"attributes":{}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exporter, err := newJSONLinesExporter(path)
	if err != nil {
		t.Fatal(err)
	}
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(exporter)))
	tracer := provider.Tracer("test")

	// A remote parent, as the tracing interceptor extracts it from a header.
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c},
		SpanID:     trace.SpanID{0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31},
		TraceFlags: trace.FlagsSampled,
		Remote:     true,
	})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), remote)
	ctx, server := tracer.Start(ctx, "RunWorkflow:W", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("temporalWorkflowID", "wf-1"), attribute.Int("n", 3), attribute.Bool("b", true)))
	_, child := tracer.Start(ctx, "child")
	child.End()
	server.End()
	// A root span in a new trace, linked to the remote span and the server span.
	_, linked := tracer.Start(context.Background(), "linked", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithLinks(trace.Link{SpanContext: remote}, trace.Link{SpanContext: server.SpanContext()}))
	linked.End()
	if err := provider.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	spans := readSpanLines(t, path)
	if len(spans) != 4 || spans[0].Name != "before" {
		t.Fatalf("got %d spans: %+v", len(spans), spans)
	}
	// SimpleSpanProcessor writes each span when it ends.
	gotChild, gotServer, gotLinked := spans[1], spans[2], spans[3]
	want := spanRecord{
		Name:         "RunWorkflow:W",
		TraceID:      "0af7651916cd43dd8448eb211c80319c",
		SpanID:       server.SpanContext().SpanID().String(),
		ParentSpanID: "b7ad6b7169203331",
		Kind:         "server",
		Links:        []spanLinkRecord{},
		Attributes:   map[string]string{"temporalWorkflowID": "wf-1", "n": "3", "b": "true"},
	}
	if !reflect.DeepEqual(gotServer, want) {
		t.Errorf("server span\n got %+v\nwant %+v", gotServer, want)
	}
	want = spanRecord{
		Name:         "child",
		TraceID:      "0af7651916cd43dd8448eb211c80319c",
		SpanID:       child.SpanContext().SpanID().String(),
		ParentSpanID: server.SpanContext().SpanID().String(),
		Kind:         "internal",
		Links:        []spanLinkRecord{},
		Attributes:   map[string]string{},
	}
	if !reflect.DeepEqual(gotChild, want) {
		t.Errorf("child span\n got %+v\nwant %+v", gotChild, want)
	}
	want = spanRecord{
		Name:         "linked",
		TraceID:      linked.SpanContext().TraceID().String(),
		SpanID:       linked.SpanContext().SpanID().String(),
		ParentSpanID: "",
		Kind:         "client",
		Links: []spanLinkRecord{
			{TraceID: "0af7651916cd43dd8448eb211c80319c", SpanID: "b7ad6b7169203331"},
			{TraceID: "0af7651916cd43dd8448eb211c80319c", SpanID: server.SpanContext().SpanID().String()},
		},
		Attributes: map[string]string{},
	}
	if !reflect.DeepEqual(gotLinked, want) {
		t.Errorf("linked span\n got %+v\nwant %+v", gotLinked, want)
	}
	if len(gotLinked.TraceID) != 32 || gotLinked.TraceID == "0af7651916cd43dd8448eb211c80319c" || len(gotLinked.SpanID) != 16 {
		t.Errorf("linked span ids %q %q", gotLinked.TraceID, gotLinked.SpanID)
	}
}

// tracerDataHeader is the Temporal header a client's OpenTelemetry tracing
// interceptor puts on a request: "_tracer-data", a json/plain payload of a
// map[string]string carrier.
func tracerDataHeader(t *testing.T, traceparent string) *commonpb.Header {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"traceparent": traceparent})
	if err != nil {
		t.Fatal(err)
	}
	return &commonpb.Header{Fields: map[string]*commonpb.Payload{"_tracer-data": p}}
}

// TestOtelSpansCodecEcho runs CodecEchoWorkflow in the in-process test
// environment with the -otel-spans interceptor and a start header carrying a
// W3C traceparent. The test environment sends no headers with signals,
// queries and updates, so only RunWorkflow has the header's parent.
func TestOtelSpansCodecEcho(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spans.jsonl")
	tracing, shutdown, err := otelTracing(path)
	if err != nil {
		t.Fatal(err)
	}
	env := newEnv(t, t.TempDir())
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{tracing}})
	env.SetStartWorkflowOptions(startOptions("otel-test"))
	env.SetHeader(tracerDataHeader(t, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
	checked := driveCodecEcho(t, env, "ok")
	env.ExecuteWorkflow(CodecEchoWorkflowName, map[string]interface{}{"a": 1})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow not completed")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if *checked != codecEchoChecks {
		t.Fatalf("%d of %d checks ran", *checked, codecEchoChecks)
	}
	var got map[string]interface{}
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	if s := asJSON(t, got); s != codecEchoFinalState {
		t.Fatalf("result %s", s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	byName := map[string][]spanRecord{}
	for _, s := range readSpanLines(t, path) {
		if len(s.TraceID) != 32 || len(s.SpanID) != 16 || len(s.Links) != 0 {
			t.Errorf("span %+v", s)
		}
		byName[s.Name] = append(byName[s.Name], s)
	}
	run := byName["RunWorkflow:CodecEchoWorkflow"]
	if len(run) != 1 {
		t.Fatalf("RunWorkflow spans %+v (all: %v)", run, byName)
	}
	want := spanRecord{
		Name:         "RunWorkflow:CodecEchoWorkflow",
		TraceID:      "0af7651916cd43dd8448eb211c80319c",
		SpanID:       run[0].SpanID,
		ParentSpanID: "b7ad6b7169203331",
		Kind:         "server",
		Links:        []spanLinkRecord{},
		Attributes:   map[string]string{"temporalWorkflowID": "otel-test", "temporalRunID": run[0].Attributes["temporalRunID"]},
	}
	if !reflect.DeepEqual(run[0], want) || want.Attributes["temporalRunID"] == "" {
		t.Errorf("RunWorkflow span\n got %+v\nwant %+v", run[0], want)
	}
	for name, count := range map[string]int{
		"HandleSignal:" + CodecAppendSignal:     3,
		"HandleSignal:" + CodecFinishSignal:     1,
		"HandleQuery:" + CodecStateQuery:        2,
		"ValidateUpdate:" + CodecSetInputUpdate: 1,
		"HandleUpdate:" + CodecSetInputUpdate:   1,
	} {
		spans := byName[name]
		if len(spans) != count {
			t.Errorf("%s: %d spans, want %d (all: %v)", name, len(spans), count, byName)
			continue
		}
		for _, s := range spans {
			// No header on these requests: each is a server span with no parent.
			if s.Kind != "server" || s.ParentSpanID != "" || s.Attributes["temporalWorkflowID"] != "otel-test" {
				t.Errorf("%s span %+v", name, s)
			}
		}
	}
}
