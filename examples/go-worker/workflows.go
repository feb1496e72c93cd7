package main

import (
	"errors"
	"time"

	"go.temporal.io/sdk/workflow"
)

// MyWorkflowName is the custom workflow type name MyWorkflowDefinition is
// registered under (workflow.RegisterOptions{Name: MyWorkflowName}).
const MyWorkflowName = "MyWorkflow"

// MySimpleWorkflow is registered under its function name, so clients start it
// with the workflow type "MySimpleWorkflow". It greets name through an
// activity, so a real activity task runs on the worker.
func MySimpleWorkflow(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
	})
	var a *Activities
	var greeting string
	if err := workflow.ExecuteActivity(ctx, a.MySimpleActivity, name).Get(ctx, &greeting); err != nil {
		return "", err
	}
	return greeting, nil
}

// MyWorkflowDefinition is registered under the custom type name "MyWorkflow"
// (not its function name). It takes a JSON object and returns a copy of it
// with one added field, "handled_by": "MyWorkflow".
func MyWorkflowDefinition(ctx workflow.Context, param map[string]interface{}) (map[string]interface{}, error) {
	out := make(map[string]interface{}, len(param)+1)
	for k, v := range param {
		out[k] = v
	}
	out["handled_by"] = MyWorkflowName
	workflow.GetLogger(ctx).Info("MyWorkflow handled input", "Keys", len(param))
	return out, nil
}

// CancellableWorkflow mirrors the cancellation sample of the Go docs: it runs
// a long, heartbeating activity; when the workflow is canceled the activity
// sees the cancellation through its heartbeat, and the deferred function runs
// CleanupActivity on a disconnected context before the workflow ends Canceled.
func CancellableWorkflow(ctx workflow.Context) error {
	ao := workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    5 * time.Second,
		WaitForCancellation: true,
	}
	ctx = workflow.WithActivityOptions(ctx, ao)
	logger := workflow.GetLogger(ctx)
	logger.Info("CancellableWorkflow started")

	var a *Activities
	defer func() {
		if !errors.Is(ctx.Err(), workflow.ErrCanceled) {
			return
		}
		// When the workflow is canceled it needs a new, disconnected context
		// to execute any activity.
		newCtx, _ := workflow.NewDisconnectedContext(ctx)
		workflowID := workflow.GetInfo(ctx).WorkflowExecution.ID
		err := workflow.ExecuteActivity(newCtx, a.CleanupActivity, workflowID).Get(newCtx, nil)
		if err != nil {
			logger.Error("CleanupActivity failed", "Error", err)
			return
		}
		logger.Info("CleanupActivity completed", "WorkflowID", workflowID)
	}()

	var result string
	err := workflow.ExecuteActivity(ctx, a.ActivityToBeCanceled).Get(ctx, &result)
	logger.Info("ActivityToBeCanceled returned", "Result", result, "Error", err)
	if err != nil {
		// After a cancel request this is a *temporal.CanceledError; returning
		// it (as ctx.Err() would be) makes the execution end Canceled.
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	logger.Info("CancellableWorkflow completed without being canceled")
	return nil
}
