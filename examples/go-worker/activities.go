package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
)

// CleanupFileContent is what CleanupActivity writes to <cleanup-dir>/<workflowID>.
const CleanupFileContent = "cleanup done"

// Activities holds the worker's activities. They are registered with
// worker.RegisterActivity(&Activities{...}), so each method is registered
// under its method name: MySimpleActivity, ActivityToBeCanceled, CleanupActivity.
type Activities struct {
	// CleanupDir is where CleanupActivity writes its marker files.
	CleanupDir string
	// HeartbeatInterval is how often ActivityToBeCanceled heartbeats (1s if zero).
	HeartbeatInterval time.Duration
}

// MySimpleActivity returns "Hello, <name>!".
func (a *Activities) MySimpleActivity(ctx context.Context, name string) (string, error) {
	activity.GetLogger(ctx).Info("MySimpleActivity", "Name", name)
	return "Hello, " + name + "!", nil
}

// ActivityToBeCanceled heartbeats every second until its context is canceled
// (the server tells it through the heartbeat response once the workflow is
// canceled), then returns the context's error.
func (a *Activities) ActivityToBeCanceled(ctx context.Context) (string, error) {
	logger := activity.GetLogger(ctx)
	interval := a.HeartbeatInterval
	if interval <= 0 {
		interval = time.Second
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	beats := 0
	for {
		select {
		case <-ticker.C:
			beats++
			activity.RecordHeartbeat(ctx, beats)
		case <-ctx.Done():
			logger.Info("ActivityToBeCanceled: context done", "Heartbeats", beats, "Error", ctx.Err())
			return "I am canceled by Done", ctx.Err()
		}
	}
}

// CleanupActivity writes the file <CleanupDir>/<workflowID> containing
// "cleanup done". Path separators in the workflow ID are replaced by '_' so
// the file always lands directly in CleanupDir. The file is written to a
// temporary name and renamed, so a reader never sees partial content.
func (a *Activities) CleanupActivity(ctx context.Context, workflowID string) error {
	path := CleanupPath(a.CleanupDir, workflowID)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".cleanup-*")
	if err != nil {
		return fmt.Errorf("create temp file: %w", err)
	}
	if _, err := tmp.WriteString(CleanupFileContent); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("rename to %s: %w", path, err)
	}
	activity.GetLogger(ctx).Info("CleanupActivity: cleanup done", "WorkflowID", workflowID, "File", path)
	return nil
}

// CleanupPath is the file CleanupActivity writes for workflowID.
func CleanupPath(dir, workflowID string) string {
	name := strings.NewReplacer("/", "_", `\`, "_").Replace(workflowID)
	if name == "" || name == "." || name == ".." {
		name = "_" + name
	}
	return filepath.Join(dir, name)
}
