package main

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
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

// CodecEchoWorkflow's type name and its signal, query and update names. A
// Python worker implements the same contract under the same names, so the
// payload-codec interop tests can run against either.
const (
	CodecEchoWorkflowName = "CodecEchoWorkflow"
	CodecAppendSignal     = "append"
	CodecFinishSignal     = "finish"
	CodecStateQuery       = "state"
	CodecSetInputUpdate   = "set_input"
	// CodecFailRequest is the finish argument that makes the workflow fail.
	CodecFailRequest = "fail"
	// CodecFailureType is the application error type of that failure.
	CodecFailureType = "CodecRequestedFailure"
)

// CodecEchoWorkflow carries every kind of payload the payload-codec tests
// check: its input, signal, query and update arguments and results, and an
// application error's details.
//
// It keeps the state {"input": <input>, "signals": [...]}:
//   - signal "append" (any JSON value) appends its argument to "signals";
//   - query "state" returns the state;
//   - update "set_input" (any JSON value) replaces "input" and returns
//     {"previous": <old input>};
//   - signal "finish" (a string) ends the workflow: with "fail" it fails with a
//     non-retryable application error of type "CodecRequestedFailure" whose
//     details are the state, otherwise it returns the state.
//
// Every "append" delivered before the workflow ends (also those that arrive
// together with "finish") is in the final state.
func CodecEchoWorkflow(ctx workflow.Context, input interface{}) (map[string]interface{}, error) {
	logger := workflow.GetLogger(ctx)
	signals := []interface{}{} // never nil, so it serializes as [] and not null
	state := func() map[string]interface{} {
		return map[string]interface{}{"input": input, "signals": signals}
	}

	if err := workflow.SetQueryHandler(ctx, CodecStateQuery, func() (map[string]interface{}, error) {
		return state(), nil
	}); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandler(ctx, CodecSetInputUpdate, func(ctx workflow.Context, value interface{}) (map[string]interface{}, error) {
		previous := input
		input = value
		return map[string]interface{}{"previous": previous}, nil
	}); err != nil {
		return nil, err
	}

	appendCh := workflow.GetSignalChannel(ctx, CodecAppendSignal)
	finishCh := workflow.GetSignalChannel(ctx, CodecFinishSignal)
	var finish interface{}
	finished := false
	selector := workflow.NewSelector(ctx)
	selector.AddReceive(appendCh, func(c workflow.ReceiveChannel, _ bool) {
		var value interface{}
		c.Receive(ctx, &value)
		signals = append(signals, value)
	})
	selector.AddReceive(finishCh, func(c workflow.ReceiveChannel, _ bool) {
		// Decoded as any JSON value so a non-string argument cannot wedge
		// the workflow; only the string "fail" means failure.
		c.Receive(ctx, &finish)
		finished = true
	})
	for !finished {
		selector.Select(ctx)
	}
	// Signals that were delivered along with "finish" are still buffered.
	for {
		var value interface{}
		if !appendCh.ReceiveAsync(&value) {
			break
		}
		signals = append(signals, value)
	}
	// Let any update that is still running complete before the workflow ends.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return nil, err
	}

	if request, ok := finish.(string); ok && request == CodecFailRequest {
		logger.Info("CodecEchoWorkflow failing on request", "Signals", len(signals))
		return nil, temporal.NewNonRetryableApplicationError("codec workflow failed on request", CodecFailureType, nil, state())
	}
	logger.Info("CodecEchoWorkflow finished", "Signals", len(signals))
	return state(), nil
}
