// Command go-worker is a real Temporal Go SDK worker mirroring the
// "Workflows in Go" docs. temporal-bridge's tests start workflows on it by
// type name from Rust, C and Python.
//
// Usage:
//
//	go-worker [-target host:port] [-namespace ns] [-task-queue q] [-cleanup-dir dir]
//	          [-codec aes] [-encode-failure-attributes] [-otel-spans file]
//
// With -codec aes every payload the worker's client writes is encrypted with
// the AES-GCM test codec (package aescodec) and every encrypted payload it
// reads is decrypted. -encode-failure-attributes also moves failure messages
// and stack traces into the failures' encoded attributes (a payload, so
// encrypted with -codec aes).
//
// With -otel-spans FILE the worker's client gets the OpenTelemetry tracing
// interceptor (go.temporal.io/sdk/contrib/opentelemetry) with the W3C
// trace-context propagator, on an SDK TracerProvider that appends one JSON
// line per ended span to FILE (see otelspans.go and README.md). Its spans
// RunWorkflow:<type>, HandleSignal:<name>, HandleQuery:<name>,
// ValidateUpdate:<name> and HandleUpdate:<name> are children of the span
// context in the "_tracer-data" header of the start, signal, query or update
// request (new root spans when the request has no such header). Without the
// flag there is no interceptor.
//
// It prints the line "worker ready" to stdout once the worker has started
// (SDK logs go to stderr) and stops cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"temporal-bridge/examples/go-worker/aescodec"
)

func main() {
	target := flag.String("target", envOr("TEMPORAL_ADDRESS", "127.0.0.1:7233"), "Temporal frontend address host:port (default: $TEMPORAL_ADDRESS)")
	namespace := flag.String("namespace", envOr("TEMPORAL_NAMESPACE", "default"), "Temporal namespace (default: $TEMPORAL_NAMESPACE)")
	taskQueue := flag.String("task-queue", "mytaskqueue", "task queue to poll")
	cleanupDir := flag.String("cleanup-dir", os.TempDir(), "directory where CleanupActivity writes <workflowID> files")
	codec := flag.String("codec", "", `payload codec: empty for none, or "aes" for the AES-GCM test codec`)
	encodeFailureAttributes := flag.Bool("encode-failure-attributes", false, "move failure messages and stack traces into encoded attributes (encrypted with -codec aes)")
	otelSpans := flag.String("otel-spans", "", "if set, trace with the OpenTelemetry interceptor and append one JSON line per ended span to this file")
	flag.Parse()

	dataConverter, failureConverter, err := converters(*codec, *encodeFailureAttributes)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-worker:", err)
		os.Exit(2)
	}
	if err := run(*target, *namespace, *taskQueue, *cleanupDir, *otelSpans, dataConverter, failureConverter); err != nil {
		fmt.Fprintln(os.Stderr, "go-worker:", err)
		os.Exit(1)
	}
}

// envOr is the environment variable's value, or fallback when it is unset or empty.
func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

// converters are the client's DataConverter and FailureConverter for the
// -codec and -encode-failure-attributes flags. A nil FailureConverter means
// the SDK default, which leaves messages and stack traces in the clear.
// -encode-failure-attributes without -codec encodes them with the default
// data converter (a json/plain payload).
func converters(codec string, encodeFailureAttributes bool) (converter.DataConverter, converter.FailureConverter, error) {
	var dataConverter converter.DataConverter
	switch codec {
	case "":
		dataConverter = converter.GetDefaultDataConverter()
	case "aes":
		dataConverter = converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), aescodec.Default())
	default:
		return nil, nil, fmt.Errorf(`unknown -codec %q (want "" or "aes")`, codec)
	}
	if !encodeFailureAttributes {
		return dataConverter, nil, nil
	}
	failureConverter := temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          dataConverter,
		EncodeCommonAttributes: true,
	})
	return dataConverter, failureConverter, nil
}

func run(target, namespace, taskQueue, cleanupDir, otelSpans string, dataConverter converter.DataConverter, failureConverter converter.FailureConverter) error {
	if err := os.MkdirAll(cleanupDir, 0o755); err != nil {
		return fmt.Errorf("cleanup dir: %w", err)
	}

	var interceptors []interceptor.ClientInterceptor
	if otelSpans != "" {
		tracing, shutdownTracing, err := otelTracing(otelSpans)
		if err != nil {
			return err
		}
		// Runs after the worker has stopped (defers run last-in first-out),
		// so every span has ended and been written before the file closes.
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := shutdownTracing(ctx); err != nil {
				fmt.Fprintln(os.Stderr, "go-worker: otel-spans shutdown:", err)
			}
		}()
		interceptors = append(interceptors, tracing)
	}

	// All SDK logging goes to stderr, keeping stdout for "worker ready".
	logger := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, nil)))

	c, err := client.Dial(client.Options{
		HostPort:         target,
		Namespace:        namespace,
		Logger:           logger,
		DataConverter:    dataConverter,
		FailureConverter: failureConverter,
		// The tracing interceptor is also a worker interceptor, so workers
		// created from this client use it too.
		Interceptors: interceptors,
	})
	if err != nil {
		return fmt.Errorf("connect to %s: %w", target, err)
	}
	defer c.Close()

	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(MySimpleWorkflow)
	w.RegisterWorkflowWithOptions(MyWorkflowDefinition, workflow.RegisterOptions{Name: MyWorkflowName})
	w.RegisterWorkflow(CancellableWorkflow)
	w.RegisterWorkflowWithOptions(CodecEchoWorkflow, workflow.RegisterOptions{Name: CodecEchoWorkflowName})
	w.RegisterWorkflowWithOptions(CallActivityWorkflow, workflow.RegisterOptions{Name: CallActivityWorkflowName})
	w.RegisterActivity(&Activities{CleanupDir: cleanupDir})

	// Catch the signals before "worker ready", so a caller that signals right
	// after reading the line cannot beat the handler (a background process
	// may start with SIGINT ignored until then).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	fmt.Println("worker ready")

	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "go-worker: signal received, stopping")
	w.Stop()
	return nil
}
