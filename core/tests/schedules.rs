//! Schedules and the named task queue / namespace / search attribute
//! operations, through the Rust API and the JSON contract, against the real
//! dev server and the real Python SDK worker (see `common`).

mod common;

use common::{call_json, client, devenv, none, result_of, unique_id};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use temporal_bridge_core::{
    Client, CreateScheduleRequest, ErrorKind, ListSchedulesRequest, PatchScheduleRequest,
    ProtoRequest, ScheduleDescription, ScheduleIdRequest, UpdateScheduleRequest,
};

async fn describe(client: &Client, schedule_id: &str) -> ScheduleDescription {
    client
        .describe_schedule(
            &ScheduleIdRequest {
                schedule_id: schedule_id.into(),
            },
            &none(),
        )
        .await
        .unwrap()
}

fn action_count(description: &ScheduleDescription) -> u64 {
    description.info["actionCount"]
        .as_str()
        .unwrap_or("0")
        .parse()
        .unwrap()
}

async fn until<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_schedule_starts_workflows_and_obeys_patches_updates_and_delete() {
    let client = client().await;
    let env = devenv();
    let schedule_id = unique_id("rust-schedule");
    let schedule = json!({
        "spec": {"interval": [{"interval": "1s"}]},
        "action": {"start_workflow": {
            "workflow_id": format!("{schedule_id}-wf"),
            "workflow_type": {"name": "MySimpleWorkflow"},
            "task_queue": {"name": env.task_queue},
            "args": ["World"],
        }},
        "policies": {"overlap_policy": "SCHEDULE_OVERLAP_POLICY_ALLOW_ALL"},
        "state": {"paused": true, "notes": "created paused"},
    });
    let created = client
        .create_schedule(
            &CreateScheduleRequest {
                schedule_id: schedule_id.clone(),
                schedule,
                trigger_immediately: true,
                memo: Some(json!({"team": "rust"}).as_object().unwrap().clone()),
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap();
    assert!(!created.conflict_token.is_empty());

    // Paused, the immediate trigger still ran once; its workflow answers.
    let described = until("the triggered run", || async {
        let d = describe(&client, &schedule_id).await;
        (action_count(&d) >= 1).then_some(d)
    })
    .await;
    assert_eq!(described.memo, json!({"team": "rust"}));
    assert_eq!(described.schedule["state"]["paused"], true);
    let start = &described.schedule["action"]["startWorkflow"];
    assert_eq!(start["args"], json!(["World"]));
    let run = described.info["recentActions"][0]["startWorkflowResult"]["workflowId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        result_of(&client, &run).await.unwrap(),
        json!("Hello, World!")
    );

    // Unpause through the JSON contract: it runs by itself.
    call_json(
        &client,
        "patch_schedule",
        json!({"schedule_id": schedule_id, "unpause": ""}),
    )
    .await
    .unwrap();
    until("runs of its own", || async {
        (action_count(&describe(&client, &schedule_id).await) >= 3).then_some(())
    })
    .await;

    // Update with the conflict token; a stale token changes nothing.
    let current = describe(&client, &schedule_id).await;
    let mut hourly = current.schedule.clone();
    hourly["spec"] = json!({"interval": [{"interval": "3600s"}]});
    client
        .update_schedule(
            &UpdateScheduleRequest {
                schedule_id: schedule_id.clone(),
                schedule: hourly,
                conflict_token: Some(current.conflict_token.clone()),
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap();
    let updated = describe(&client, &schedule_id).await;
    assert_eq!(updated.schedule["spec"]["interval"][0]["interval"], "3600s");
    assert_ne!(updated.conflict_token, current.conflict_token);
    let mut stale = current.schedule.clone();
    stale["spec"] = json!({"interval": [{"interval": "60s"}]});
    let _ = client
        .update_schedule(
            &UpdateScheduleRequest {
                schedule_id: schedule_id.clone(),
                schedule: stale,
                conflict_token: Some(current.conflict_token.clone()),
                ..Default::default()
            },
            &none(),
        )
        .await;
    let after = describe(&client, &schedule_id).await;
    assert_eq!(after.schedule["spec"]["interval"][0]["interval"], "3600s");

    let listed = until("the schedule in list", || async {
        let page = client
            .list_schedules(&ListSchedulesRequest::default(), &none())
            .await
            .unwrap();
        page.schedules
            .iter()
            .find(|s| s["schedule_id"] == schedule_id.as_str())
            .cloned()
    })
    .await;
    assert_eq!(listed["info"]["workflowType"]["name"], "MySimpleWorkflow");

    client
        .delete_schedule(
            &ScheduleIdRequest {
                schedule_id: schedule_id.clone(),
            },
            &none(),
        )
        .await
        .unwrap();
    let err = client
        .describe_schedule(
            &ScheduleIdRequest {
                schedule_id: schedule_id.clone(),
            },
            &none(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn schedule_requests_are_checked() {
    let client = client().await;
    let refused = |request: Value, operation: &'static str| {
        let client = client.clone();
        async move {
            let err = call_json(&client, operation, request.clone())
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{request}: {err}");
            err
        }
    };
    let err = refused(
        json!({"schedule_id": "", "schedule": {}}),
        "create_schedule",
    )
    .await;
    assert_eq!(err.detail("field").unwrap(), "schedule_id");
    let err = refused(
        json!({"schedule_id": "x", "schedule": {"spec": {"interval": [{"interval": 5}]}}}),
        "create_schedule",
    )
    .await;
    assert!(
        err.detail("field")
            .unwrap()
            .as_str()
            .unwrap()
            .starts_with("schedule.spec"),
        "{err}"
    );
    let err = refused(json!({"schedule_id": "x"}), "patch_schedule").await;
    assert!(err.message().contains("nothing to change"), "{err}");
    let err = refused(
        json!({"schedule_id": "x", "trigger_immediately": true, "overlap": "sometimes"}),
        "patch_schedule",
    )
    .await;
    assert!(err.message().contains("allow_all"), "{err}");
    let err = client
        .patch_schedule(
            &PatchScheduleRequest {
                schedule_id: unique_id("missing"),
                pause: Some("x".into()),
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn task_queues_namespaces_and_search_attributes_by_name() {
    let client = client().await;
    let env = devenv();
    let request = |value: Value| ProtoRequest(value.as_object().unwrap().clone());
    let pollers = until("workflow pollers", || async {
        let queue = client
            .describe_task_queue(
                &request(json!({"taskQueue": {"name": env.task_queue}})),
                &none(),
            )
            .await
            .unwrap();
        queue.0["pollers"]
            .as_array()
            .filter(|p| !p.is_empty())
            .cloned()
    })
    .await;
    assert!(pollers[0]["identity"].is_string());
    let namespace = client
        .describe_namespace(&request(json!({})), &none())
        .await
        .unwrap();
    assert_eq!(namespace.0["namespaceInfo"]["name"], env.namespace.as_str());
    let attributes = client
        .list_search_attributes(&request(json!({})), &none())
        .await
        .unwrap();
    assert_eq!(
        attributes.0["systemAttributes"]["WorkflowId"],
        "INDEXED_VALUE_TYPE_KEYWORD"
    );
    let err = client
        .describe_namespace(&request(json!({"namespace": unique_id("nope")})), &none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = call_json(&client, "describe_task_queue", json!({"taskQueue": 3}))
        .await
        .unwrap_err();
    assert_eq!(err.detail("field").unwrap(), "taskQueue", "{err}");
}
