// Command codec-server serves the AES-GCM test codec (package aescodec) over
// HTTP as a Temporal remote codec endpoint: POST <any path>/encode and
// <any path>/decode with a JSON Payloads body ({"payloads": [...]}), as the
// temporal CLI's --codec-endpoint and the Web UI use it.
//
// Usage:
//
//	codec-server [-listen host:port] [-require-auth value] [-require-namespace ns]
//
// Once listening it prints exactly one stdout line,
// "codec server listening on http://HOST:PORT" (the bound address, so
// -listen 127.0.0.1:0 reports the real port); logs, one line per request,
// go to stderr. It stops cleanly on SIGINT or SIGTERM.
//
// With -require-auth, a request whose Authorization header is not exactly
// that value gets 401; with -require-namespace, a request whose X-Namespace
// header is not exactly that namespace gets 400.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/converter"

	"temporal-bridge/examples/go-worker/aescodec"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (port 0 picks a free port)")
	requireAuth := flag.String("require-auth", "", "if set, the exact Authorization header value every request must carry (else 401)")
	requireNamespace := flag.String("require-namespace", "", "if set, the X-Namespace header value every request must carry (else 400)")
	flag.Parse()

	logger := log.New(os.Stderr, "codec-server: ", log.LstdFlags)
	if err := run(*listen, *requireAuth, *requireNamespace, logger); err != nil {
		logger.Print(err)
		os.Exit(1)
	}
}

func run(listen, requireAuth, requireNamespace string, logger *log.Logger) error {
	// Catch the signals before announcing the address, so a caller that
	// signals right after reading the line cannot beat the handler (a
	// background process may start with SIGINT ignored until then).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	server := &http.Server{
		Handler:           newHandler(requireAuth, requireNamespace, logger),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          logger,
	}

	// The one stdout line. os.Stdout is unbuffered, so a pipe reader sees it
	// at once; Sync also flushes it when stdout is a file (on a pipe it is a
	// harmless no-op).
	fmt.Printf("codec server listening on http://%s\n", ln.Addr())
	_ = os.Stdout.Sync()

	served := make(chan error, 1)
	go func() { served <- server.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Print("signal received, stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// newHandler is the codec endpoint: the SDK's payload codec HTTP handler for
// aescodec.Default() (which answers POST requests whose path ends in /encode
// or /decode, and 404 to anything else), behind the optional Authorization and
// X-Namespace checks, logging each request's method, path and status.
func newHandler(requireAuth, requireNamespace string, logger *log.Logger) http.Handler {
	codec := converter.NewPayloadCodecHTTPHandler(aescodec.Default())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() { logger.Printf("%s %s %d", r.Method, r.URL.Path, rec.status) }()
		if requireAuth != "" && r.Header.Get("Authorization") != requireAuth {
			http.Error(rec, "missing or wrong Authorization header", http.StatusUnauthorized)
			return
		}
		if requireNamespace != "" && r.Header.Get("X-Namespace") != requireNamespace {
			http.Error(rec, fmt.Sprintf("X-Namespace header must be %q, got %q", requireNamespace, r.Header.Get("X-Namespace")), http.StatusBadRequest)
			return
		}
		codec.ServeHTTP(rec, r)
	})
}

// statusRecorder remembers the status code written through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(status int) {
	s.status = status
	s.ResponseWriter.WriteHeader(status)
}
