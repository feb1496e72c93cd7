// Command go-worker is a real Temporal Go SDK worker mirroring the
// "Workflows in Go" docs. temporal-bridge's tests start workflows on it by
// type name from Rust, C and Python.
//
// Usage:
//
//	go-worker [-target host:port] [-namespace ns] [-task-queue q] [-cleanup-dir dir]
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

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

func main() {
	target := flag.String("target", envOr("TEMPORAL_ADDRESS", "127.0.0.1:7233"), "Temporal frontend address host:port (default: $TEMPORAL_ADDRESS)")
	namespace := flag.String("namespace", envOr("TEMPORAL_NAMESPACE", "default"), "Temporal namespace (default: $TEMPORAL_NAMESPACE)")
	taskQueue := flag.String("task-queue", "mytaskqueue", "task queue to poll")
	cleanupDir := flag.String("cleanup-dir", os.TempDir(), "directory where CleanupActivity writes <workflowID> files")
	flag.Parse()

	if err := run(*target, *namespace, *taskQueue, *cleanupDir); err != nil {
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

func run(target, namespace, taskQueue, cleanupDir string) error {
	if err := os.MkdirAll(cleanupDir, 0o755); err != nil {
		return fmt.Errorf("cleanup dir: %w", err)
	}

	// All SDK logging goes to stderr, keeping stdout for "worker ready".
	logger := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, nil)))

	c, err := client.Dial(client.Options{
		HostPort:  target,
		Namespace: namespace,
		Logger:    logger,
	})
	if err != nil {
		return fmt.Errorf("connect to %s: %w", target, err)
	}
	defer c.Close()

	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(MySimpleWorkflow)
	w.RegisterWorkflowWithOptions(MyWorkflowDefinition, workflow.RegisterOptions{Name: MyWorkflowName})
	w.RegisterWorkflow(CancellableWorkflow)
	w.RegisterActivity(&Activities{CleanupDir: cleanupDir})

	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	fmt.Println("worker ready")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "go-worker: signal received, stopping")
	w.Stop()
	return nil
}
