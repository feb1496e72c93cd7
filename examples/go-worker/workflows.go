package main

import (
	"encoding/json"
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

// CallActivityWorkflowName is the type name CallActivityWorkflow is registered
// under. A Python worker implements the same contract under the same name.
const CallActivityWorkflowName = "CallActivityWorkflow"

// CallActivityInvalidInputType is the application error type CallActivityWorkflow
// fails with when "activity" or "task_queue" is missing.
const CallActivityInvalidInputType = "InvalidCallActivityInput"

// CallActivityInput is CallActivityWorkflow's argument, a JSON object. Only
// "activity" and "task_queue" are required; a zero or absent number means its
// default (or unset, where there is none).
//   - "activity", "task_queue": the activity type and the task queue it is
//     scheduled on (typically served by another worker);
//   - "args": the activity's positional arguments (default none);
//   - "start_to_close_timeout_ms" (default 60000), "schedule_to_close_timeout_ms",
//     "heartbeat_timeout_ms": the activity timeouts;
//   - "retry": the retry policy, {"maximum_attempts" (default 0: unlimited),
//     "initial_interval_ms" (default 100), "backoff_coefficient" (default 1.0),
//     "maximum_interval_ms", "non_retryable_error_types"}; without it the
//     activity runs once (maximum_attempts 1);
//   - "count": when >= 1, run that many copies of the activity concurrently
//     and return the list of their results;
//   - "wait_for_cancellation" (default true): wait for the activity to
//     acknowledge a cancellation (WAIT_CANCELLATION_COMPLETED) instead of
//     TRY_CANCEL;
//   - "cleanup_activity": activity run on "task_queue" with the workflow ID
//     as its argument after a workflow cancel has canceled the activity.
type CallActivityInput struct {
	Activity                 string             `json:"activity"`
	TaskQueue                string             `json:"task_queue"`
	Args                     []json.RawMessage  `json:"args"`
	StartToCloseTimeoutMs    int64              `json:"start_to_close_timeout_ms"`
	ScheduleToCloseTimeoutMs int64              `json:"schedule_to_close_timeout_ms"`
	HeartbeatTimeoutMs       int64              `json:"heartbeat_timeout_ms"`
	Retry                    *CallActivityRetry `json:"retry"`
	Count                    int                `json:"count"`
	WaitForCancellation      *bool              `json:"wait_for_cancellation"`
	CleanupActivity          string             `json:"cleanup_activity"`
}

// CallActivityRetry is CallActivityInput's "retry" object.
type CallActivityRetry struct {
	MaximumAttempts        int32    `json:"maximum_attempts"`
	InitialIntervalMs      int64    `json:"initial_interval_ms"`
	BackoffCoefficient     float64  `json:"backoff_coefficient"`
	MaximumIntervalMs      int64    `json:"maximum_interval_ms"`
	NonRetryableErrorTypes []string `json:"non_retryable_error_types"`
}

// activityOptions are the options CallActivityWorkflow schedules the activity with.
func (in CallActivityInput) activityOptions() workflow.ActivityOptions {
	startToClose := in.StartToCloseTimeoutMs
	if startToClose <= 0 {
		startToClose = 60_000
	}
	retry := CallActivityRetry{MaximumAttempts: 1}
	if in.Retry != nil {
		retry = *in.Retry
	}
	if retry.InitialIntervalMs <= 0 {
		retry.InitialIntervalMs = 100
	}
	if retry.BackoffCoefficient == 0 {
		retry.BackoffCoefficient = 1.0
	}
	return workflow.ActivityOptions{
		TaskQueue:              in.TaskQueue,
		StartToCloseTimeout:    millis(startToClose),
		ScheduleToCloseTimeout: millis(in.ScheduleToCloseTimeoutMs),
		HeartbeatTimeout:       millis(in.HeartbeatTimeoutMs),
		WaitForCancellation:    in.WaitForCancellation == nil || *in.WaitForCancellation,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        millis(retry.InitialIntervalMs),
			BackoffCoefficient:     retry.BackoffCoefficient,
			MaximumInterval:        millis(retry.MaximumIntervalMs),
			MaximumAttempts:        retry.MaximumAttempts,
			NonRetryableErrorTypes: retry.NonRetryableErrorTypes,
		},
	}
}

func millis(ms int64) time.Duration {
	return time.Duration(ms) * time.Millisecond
}

// CallActivityWorkflow calls an activity by type name on another task queue,
// so tests can drive activities implemented by a worker in another language
// (see CallActivityInput). It returns the activity's result (a list of them
// with "count") as the JSON the activity returned, byte for byte. An activity
// failure fails the workflow unchanged (an ActivityError caused by the
// activity's own failure); with "count" the first failure in schedule order
// does.
//
// When the workflow is canceled, the activities are canceled; once all of
// them have ended, "cleanup_activity" (if set) runs on a disconnected context
// and the workflow ends Canceled, even if the cleanup failed (that is logged).
func CallActivityWorkflow(ctx workflow.Context, in CallActivityInput) (interface{}, error) {
	if in.Activity == "" || in.TaskQueue == "" {
		return nil, temporal.NewNonRetryableApplicationError(
			`CallActivityWorkflow needs "activity" and "task_queue"`, CallActivityInvalidInputType, nil)
	}
	logger := workflow.GetLogger(ctx)
	ctx = workflow.WithActivityOptions(ctx, in.activityOptions())

	args := make([]interface{}, len(in.Args))
	for i, arg := range in.Args {
		// A JSON null goes out as a null payload, as other SDKs send it.
		if string(arg) != "null" {
			args[i] = arg
		}
	}
	futures := make([]workflow.Future, max(in.Count, 1))
	for i := range futures {
		futures[i] = workflow.ExecuteActivity(ctx, in.Activity, args...)
	}

	results := make([]json.RawMessage, len(futures))
	for i, future := range futures {
		err := future.Get(ctx, &results[i])
		if err == nil {
			continue
		}
		if !temporal.IsCanceledError(err) || !errors.Is(ctx.Err(), workflow.ErrCanceled) {
			return nil, err
		}
		// The workflow was canceled: wait until every activity has ended, then
		// clean up on a context that the cancellation does not reach.
		newCtx, _ := workflow.NewDisconnectedContext(ctx)
		for _, rest := range futures[i+1:] {
			_ = rest.Get(newCtx, nil)
		}
		if in.CleanupActivity != "" {
			newCtx = workflow.WithActivityOptions(newCtx, workflow.ActivityOptions{
				TaskQueue:           in.TaskQueue,
				StartToCloseTimeout: 30 * time.Second,
				RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
			})
			workflowID := workflow.GetInfo(ctx).WorkflowExecution.ID
			if err := workflow.ExecuteActivity(newCtx, in.CleanupActivity, workflowID).Get(newCtx, nil); err != nil {
				logger.Error("cleanup activity failed", "Activity", in.CleanupActivity, "Error", err)
			}
		}
		// Returning the canceled error makes the execution end Canceled.
		return nil, err
	}
	if in.Count >= 1 {
		return results, nil
	}
	return results[0], nil
}
