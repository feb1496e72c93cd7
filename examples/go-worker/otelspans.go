package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// spanRecord is one line of the -otel-spans file: one ended span.
type spanRecord struct {
	Name         string            `json:"name"`
	TraceID      string            `json:"trace_id"`       // 32 lowercase hex digits
	SpanID       string            `json:"span_id"`        // 16 lowercase hex digits
	ParentSpanID string            `json:"parent_span_id"` // 16 hex digits, or "" for a root span
	Kind         string            `json:"kind"`           // "server", "client", "internal", ...
	Links        []spanLinkRecord  `json:"links"`          // never null
	Attributes   map[string]string `json:"attributes"`     // never null
}

type spanLinkRecord struct {
	TraceID string `json:"trace_id"`
	SpanID  string `json:"span_id"`
}

// newSpanRecord is span as written to the -otel-spans file.
func newSpanRecord(span sdktrace.ReadOnlySpan) spanRecord {
	r := spanRecord{
		Name:       span.Name(),
		TraceID:    span.SpanContext().TraceID().String(),
		SpanID:     span.SpanContext().SpanID().String(),
		Kind:       span.SpanKind().String(),
		Links:      []spanLinkRecord{},
		Attributes: map[string]string{},
	}
	if parent := span.Parent(); parent.IsValid() {
		r.ParentSpanID = parent.SpanID().String()
	}
	for _, link := range span.Links() {
		r.Links = append(r.Links, spanLinkRecord{
			TraceID: link.SpanContext.TraceID().String(),
			SpanID:  link.SpanContext.SpanID().String(),
		})
	}
	for _, kv := range span.Attributes() {
		r.Attributes[string(kv.Key)] = kv.Value.Emit()
	}
	return r
}

// jsonLinesExporter is an sdktrace.SpanExporter that appends one JSON object
// per span, newline-terminated, to a file. Each line goes to the file with a
// single unbuffered write (no user-space buffer, so a reader in another
// process sees whole lines as soon as the span has ended), under a mutex.
type jsonLinesExporter struct {
	mu   sync.Mutex
	file *os.File // nil once shut down
}

var _ sdktrace.SpanExporter = (*jsonLinesExporter)(nil)

// newJSONLinesExporter opens path for appending, creating it if missing.
func newJSONLinesExporter(path string) (*jsonLinesExporter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	return &jsonLinesExporter{file: f}, nil
}

func (e *jsonLinesExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.file == nil {
		return errors.New("otel-spans exporter is shut down")
	}
	var errs []error
	for _, span := range spans {
		line, err := json.Marshal(newSpanRecord(span))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := e.file.Write(append(line, '\n')); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (e *jsonLinesExporter) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.file == nil {
		return nil
	}
	err := e.file.Close()
	e.file = nil
	return err
}

// otelTracing is the client interceptor for -otel-spans FILE: the Temporal
// OpenTelemetry tracing interceptor on an SDK TracerProvider whose spans are
// written to FILE by a SimpleSpanProcessor (synchronously, as each span ends).
// Call shutdown before exiting so the file is closed after the last span.
func otelTracing(path string) (_ interceptor.Interceptor, shutdown func(context.Context) error, _ error) {
	exporter, err := newJSONLinesExporter(path)
	if err != nil {
		return nil, nil, fmt.Errorf("otel-spans: %w", err)
	}
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(exporter)),
		// The SDK default, spelled out: a span whose parent (e.g. the
		// _tracer-data header's traceparent) is not sampled (flags 00) is
		// not recorded, so it is not written either.
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
	)
	// W3C trace context only. The interceptor uses its own propagator (its
	// default would be TraceContext + Baggage); the global one, a no-op until
	// set, is set too for any other instrumentation in the process.
	propagator := propagation.TraceContext{}
	otel.SetTextMapPropagator(propagator)
	otel.SetTracerProvider(provider)
	tracing, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer:            provider.Tracer("temporal-sdk-go"),
		TextMapPropagator: propagator,
	})
	if err != nil {
		_ = provider.Shutdown(context.Background())
		return nil, nil, fmt.Errorf("otel-spans: %w", err)
	}
	return tracing, provider.Shutdown, nil
}
