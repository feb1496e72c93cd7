//! Schedules: create, describe, update (with the conflict token), patch
//! (pause, unpause, trigger, backfill), delete and list, built on
//! [`Client::call_rpc`].
//!
//! A schedule is given and returned in the protobuf JSON mapping of
//! `temporal.api.schedule.v1.Schedule` (lowerCamel or original field names,
//! durations like `"30s"`, times in RFC 3339, enums by name), with three
//! conveniences in the start-workflow action: `args` (JSON values, one
//! `json/plain` payload each) stands for `input`, and `memo` and
//! `search_attributes` are plain JSON objects of values. Answers use the same
//! conveniences, so a described schedule can be sent back as it is.

use crate::client::{CallOptions, Client};
use crate::contract::Empty;
use crate::error::{Error, Result};
use crate::fields::require;
use crate::payload::{decode_payload, encode_value, RawPayload};
use crate::rpc::own_fields;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Request of `create_schedule`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateScheduleRequest {
    /// The schedule's ID.
    pub schedule_id: String,
    /// The schedule (see the module documentation).
    pub schedule: Value,
    /// Take the action once right away.
    #[serde(default)]
    pub trigger_immediately: bool,
    /// Take the actions of past time ranges now.
    #[serde(default)]
    pub backfill: Vec<ScheduleBackfill>,
    /// Memo of the schedule itself.
    #[serde(default)]
    pub memo: Option<Map<String, Value>>,
    /// Search attributes of the schedule itself.
    #[serde(default)]
    pub search_attributes: Option<Map<String, Value>>,
    /// Idempotency key; generated when absent.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// A time range whose actions are taken now, as if the schedule had run then.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBackfill {
    /// Start of the range (RFC 3339).
    pub start_at: String,
    /// End of the range (RFC 3339).
    pub end_at: String,
    /// Overlap policy for these actions (`skip`, `buffer_one`, `buffer_all`,
    /// `cancel_other`, `terminate_other`, `allow_all`); the schedule's when absent.
    #[serde(default)]
    pub overlap: Option<String>,
}

/// Response of `create_schedule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CreateScheduleResponse {
    /// The schedule's ID.
    pub schedule_id: String,
    /// The token `update_schedule` takes to detect concurrent changes.
    pub conflict_token: String,
}

/// Request of `describe_schedule` and `delete_schedule`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleIdRequest {
    /// The schedule's ID.
    pub schedule_id: String,
}

/// Response of `describe_schedule`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScheduleDescription {
    /// The schedule's ID.
    pub schedule_id: String,
    /// The schedule, as `create_schedule` takes it.
    pub schedule: Value,
    /// What the server knows of its runs (`actionCount`, `recentActions`,
    /// `runningWorkflows`, `futureActionTimes`, `createTime`, ...), in the
    /// protobuf JSON mapping.
    pub info: Value,
    /// Memo of the schedule itself.
    pub memo: Value,
    /// Search attributes of the schedule itself.
    pub search_attributes: Value,
    /// Pass to `update_schedule` to refuse the update if the schedule
    /// changed since this description.
    pub conflict_token: String,
}

/// Request of `update_schedule`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateScheduleRequest {
    /// The schedule's ID.
    pub schedule_id: String,
    /// The whole new schedule.
    pub schedule: Value,
    /// From `describe_schedule`: the update fails if the schedule changed
    /// since then. Unconditional when absent.
    #[serde(default)]
    pub conflict_token: Option<String>,
    /// Replaces the schedule's search attributes when given.
    #[serde(default)]
    pub search_attributes: Option<Map<String, Value>>,
    /// Idempotency key; generated when absent.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// Request of `patch_schedule`: any of its changes, applied together.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchScheduleRequest {
    /// The schedule's ID.
    pub schedule_id: String,
    /// Take the action once now.
    #[serde(default)]
    pub trigger_immediately: bool,
    /// Overlap policy of that triggered action; the schedule's when absent.
    #[serde(default)]
    pub overlap: Option<String>,
    /// Take the actions of past time ranges now.
    #[serde(default)]
    pub backfill: Vec<ScheduleBackfill>,
    /// Pause, with this note.
    #[serde(default)]
    pub pause: Option<String>,
    /// Unpause, with this note.
    #[serde(default)]
    pub unpause: Option<String>,
    /// Idempotency key; generated when absent.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// Request of `list_schedules`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSchedulesRequest {
    /// Visibility query over the schedules' search attributes.
    #[serde(default)]
    pub query: Option<String>,
    /// Schedules per page (the server's default when absent).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// From the previous page (base64), to continue.
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// Response of `list_schedules`: one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ListSchedulesResponse {
    /// `{"schedule_id", "info", "memo", "search_attributes"}` each; `info`
    /// is the server's summary (`spec`, `workflowType`, `paused`, `notes`,
    /// `recentActions`, `futureActionTimes`) in the protobuf JSON mapping.
    pub schedules: Vec<Value>,
    /// Pass back for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub next_page_token: Option<String>,
}

const OVERLAP_POLICIES: &[&str] = &[
    "skip",
    "buffer_one",
    "buffer_all",
    "cancel_other",
    "terminate_other",
    "allow_all",
];

/// An overlap policy by its short name (any case) or its protobuf name.
fn overlap_policy(field: &str, name: &str) -> Result<String> {
    let short = name
        .strip_prefix("SCHEDULE_OVERLAP_POLICY_")
        .unwrap_or(name)
        .to_ascii_lowercase();
    if OVERLAP_POLICIES.contains(&short.as_str()) {
        Ok(format!(
            "SCHEDULE_OVERLAP_POLICY_{}",
            short.to_ascii_uppercase()
        ))
    } else {
        Err(Error::invalid_argument(format!(
            "{field}: unknown overlap policy {}; one of {}",
            crate::error::Quoted(name),
            OVERLAP_POLICIES.join(", ")
        ))
        .with_detail("field", field))
    }
}

fn backfills(field: &str, backfill: &[ScheduleBackfill]) -> Result<Vec<Value>> {
    backfill
        .iter()
        .map(|b| {
            let mut out = json!({"startTime": b.start_at, "endTime": b.end_at});
            if let Some(overlap) = &b.overlap {
                out["overlapPolicy"] = overlap_policy(field, overlap)?.into();
            }
            Ok(out)
        })
        .collect()
}

fn payload_json(value: &Value) -> Value {
    serde_json::to_value(RawPayload::from_proto(&encode_value(value))).unwrap_or(Value::Null)
}

fn value_of_payload(payload: &Value) -> Value {
    match serde_json::from_value::<RawPayload>(payload.clone()).map(|p| p.to_proto()) {
        Ok(Ok(proto)) => decode_payload(&proto),
        _ => payload.clone(),
    }
}

/// A plain JSON object of values as a protobuf map of payloads
/// (`{"fields": ...}` for memos, `{"indexedFields": ...}` for search
/// attributes).
fn payload_map(field: &str, values: &Value, key: &str) -> Result<Value> {
    let Value::Object(values) = values else {
        return Err(
            Error::invalid_argument(format!("{field} must be an object of values"))
                .with_detail("field", field),
        );
    };
    let fields: Map<String, Value> = values
        .iter()
        .map(|(k, v)| (k.clone(), payload_json(v)))
        .collect();
    Ok(json!({ key: fields }))
}

fn plain_map(map: Option<&Value>, key: &str) -> Value {
    let fields = map.and_then(|m| m.get(key)).and_then(Value::as_object);
    Value::Object(
        fields
            .map(|f| {
                f.iter()
                    .map(|(k, v)| (k.clone(), value_of_payload(v)))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// The first of `names` present in `object`, taken out of it.
fn take_field(object: &mut Map<String, Value>, names: &[&str]) -> Option<Value> {
    names.iter().find_map(|name| object.remove(*name))
}

/// Our schedule JSON -> the protobuf JSON mapping (payload conveniences).
fn schedule_to_proto(schedule: &Value) -> Result<Value> {
    let mut schedule = schedule.clone();
    if !schedule.is_object() {
        return Err(
            Error::invalid_argument("schedule must be an object").with_detail("field", "schedule")
        );
    }
    let start = schedule
        .get_mut("action")
        .and_then(Value::as_object_mut)
        .and_then(|action| {
            let key = ["startWorkflow", "start_workflow"]
                .into_iter()
                .find(|k| action.contains_key(*k))?;
            action.get_mut(key)?.as_object_mut()
        });
    if let Some(start) = start {
        if let Some(args) = start.remove("args") {
            let Value::Array(args) = args else {
                return Err(Error::invalid_argument(
                    "schedule.action.start_workflow.args must be a list of values",
                )
                .with_detail("field", "schedule.action.start_workflow.args"));
            };
            if start.contains_key("input") {
                return Err(Error::invalid_argument(
                    "schedule.action.start_workflow: give args or input, not both",
                )
                .with_detail("field", "schedule.action.start_workflow.args"));
            }
            let payloads: Vec<Value> = args.iter().map(payload_json).collect();
            start.insert("input".into(), json!({ "payloads": payloads }));
        }
        if let Some(memo) = take_field(start, &["memo"]) {
            let memo = payload_map("schedule.action.start_workflow.memo", &memo, "fields")?;
            start.insert("memo".into(), memo);
        }
        if let Some(attributes) = take_field(start, &["searchAttributes", "search_attributes"]) {
            let attributes = payload_map(
                "schedule.action.start_workflow.search_attributes",
                &attributes,
                "indexedFields",
            )?;
            start.insert("searchAttributes".into(), attributes);
        }
    }
    Ok(schedule)
}

/// The protobuf JSON mapping -> our schedule JSON (the same conveniences).
fn schedule_from_proto(mut schedule: Value) -> Value {
    if let Some(start) = schedule
        .pointer_mut("/action/startWorkflow")
        .and_then(Value::as_object_mut)
    {
        let args: Vec<Value> = start
            .remove("input")
            .and_then(|input| input.get("payloads").cloned())
            .and_then(|p| p.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(value_of_payload)
            .collect();
        start.insert("args".into(), Value::Array(args));
        if let Some(memo) = start.remove("memo") {
            start.insert("memo".into(), plain_map(Some(&memo), "fields"));
        }
        if let Some(attributes) = start.remove("searchAttributes") {
            start.insert(
                "searchAttributes".into(),
                plain_map(Some(&attributes), "indexedFields"),
            );
        }
    }
    schedule
}

fn put_request_id(request: &mut Value, request_id: &Option<String>) {
    if let Some(id) = request_id {
        request["requestId"] = id.clone().into();
    }
}

impl Client {
    /// Creates a schedule.
    pub async fn create_schedule(
        &self,
        request: &CreateScheduleRequest,
        call: &CallOptions,
    ) -> Result<CreateScheduleResponse> {
        require("schedule_id", &request.schedule_id)?;
        let mut body = json!({
            "scheduleId": request.schedule_id,
            "schedule": schedule_to_proto(&request.schedule)?,
        });
        let mut patch = Map::new();
        if request.trigger_immediately {
            patch.insert("triggerImmediately".into(), json!({}));
        }
        if !request.backfill.is_empty() {
            patch.insert(
                "backfillRequest".into(),
                backfills("backfill", &request.backfill)?.into(),
            );
        }
        if !patch.is_empty() {
            body["initialPatch"] = Value::Object(patch);
        }
        if let Some(memo) = &request.memo {
            body["memo"] = payload_map("memo", &Value::Object(memo.clone()), "fields")?;
        }
        if let Some(attributes) = &request.search_attributes {
            body["searchAttributes"] = payload_map(
                "search_attributes",
                &Value::Object(attributes.clone()),
                "indexedFields",
            )?;
        }
        put_request_id(&mut body, &request.request_id);
        let response = self
            .proto_call("workflow", "CreateSchedule", body, call)
            .await
            .map_err(own_fields)?;
        Ok(CreateScheduleResponse {
            schedule_id: request.schedule_id.clone(),
            conflict_token: token(&response),
        })
    }

    /// Describes a schedule: the schedule, its runs, memo and search attributes.
    pub async fn describe_schedule(
        &self,
        request: &ScheduleIdRequest,
        call: &CallOptions,
    ) -> Result<ScheduleDescription> {
        require("schedule_id", &request.schedule_id)?;
        let mut response = self
            .proto_call(
                "workflow",
                "DescribeSchedule",
                json!({"scheduleId": request.schedule_id}),
                call,
            )
            .await?;
        Ok(ScheduleDescription {
            schedule_id: request.schedule_id.clone(),
            conflict_token: token(&response),
            schedule: schedule_from_proto(response["schedule"].take()),
            info: response["info"].take(),
            memo: plain_map(response.get("memo"), "fields"),
            search_attributes: plain_map(response.get("searchAttributes"), "indexedFields"),
        })
    }

    /// Replaces a schedule, unless it changed since `conflict_token` was read.
    pub async fn update_schedule(
        &self,
        request: &UpdateScheduleRequest,
        call: &CallOptions,
    ) -> Result<Empty> {
        require("schedule_id", &request.schedule_id)?;
        let mut body = json!({
            "scheduleId": request.schedule_id,
            "schedule": schedule_to_proto(&request.schedule)?,
        });
        if let Some(token) = &request.conflict_token {
            body["conflictToken"] = token.clone().into();
        }
        if let Some(attributes) = &request.search_attributes {
            body["searchAttributes"] = payload_map(
                "search_attributes",
                &Value::Object(attributes.clone()),
                "indexedFields",
            )?;
        }
        put_request_id(&mut body, &request.request_id);
        self.proto_call("workflow", "UpdateSchedule", body, call)
            .await
            .map_err(own_fields)?;
        Ok(Empty {})
    }

    /// Pauses, unpauses, triggers or backfills a schedule.
    pub async fn patch_schedule(
        &self,
        request: &PatchScheduleRequest,
        call: &CallOptions,
    ) -> Result<Empty> {
        require("schedule_id", &request.schedule_id)?;
        let mut patch = Map::new();
        if request.trigger_immediately {
            let mut trigger = json!({});
            if let Some(overlap) = &request.overlap {
                trigger["overlapPolicy"] = overlap_policy("overlap", overlap)?.into();
            }
            patch.insert("triggerImmediately".into(), trigger);
        } else if request.overlap.is_some() {
            return Err(Error::invalid_argument(
                "overlap applies to trigger_immediately, which is not set",
            )
            .with_detail("field", "overlap"));
        }
        if !request.backfill.is_empty() {
            patch.insert(
                "backfillRequest".into(),
                backfills("backfill", &request.backfill)?.into(),
            );
        }
        for (field, note, key) in [
            ("pause", &request.pause, "pause"),
            ("unpause", &request.unpause, "unpause"),
        ] {
            if let Some(note) = note {
                // The server reads an empty note as "no change".
                let note = if note.is_empty() {
                    format!("{field}d via temporal-bridge")
                } else {
                    note.clone()
                };
                patch.insert(key.into(), note.into());
            }
        }
        if patch.is_empty() {
            return Err(Error::invalid_argument(
                "patch_schedule: nothing to change (trigger_immediately, backfill, pause or unpause)",
            ));
        }
        let mut body = json!({"scheduleId": request.schedule_id, "patch": patch});
        put_request_id(&mut body, &request.request_id);
        self.proto_call("workflow", "PatchSchedule", body, call)
            .await
            .map_err(own_fields)?;
        Ok(Empty {})
    }

    /// Deletes a schedule (its workflows keep running).
    pub async fn delete_schedule(
        &self,
        request: &ScheduleIdRequest,
        call: &CallOptions,
    ) -> Result<Empty> {
        require("schedule_id", &request.schedule_id)?;
        self.proto_call(
            "workflow",
            "DeleteSchedule",
            json!({"scheduleId": request.schedule_id}),
            call,
        )
        .await?;
        Ok(Empty {})
    }

    /// One page of schedules.
    pub async fn list_schedules(
        &self,
        request: &ListSchedulesRequest,
        call: &CallOptions,
    ) -> Result<ListSchedulesResponse> {
        let mut body = json!({});
        if let Some(query) = &request.query {
            body["query"] = query.clone().into();
        }
        if let Some(size) = request.page_size {
            body["maximumPageSize"] = size.into();
        }
        if let Some(token) = &request.next_page_token {
            body["nextPageToken"] = token.clone().into();
        }
        let response = self
            .proto_call("workflow", "ListSchedules", body, call)
            .await?;
        let schedules = response["schedules"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|entry| {
                        json!({
                            "schedule_id": entry["scheduleId"],
                            "info": entry.get("info").cloned().unwrap_or(json!({})),
                            "memo": plain_map(entry.get("memo"), "fields"),
                            "search_attributes": plain_map(entry.get("searchAttributes"), "indexedFields"),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let next_page_token = response["nextPageToken"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        Ok(ListSchedulesResponse {
            schedules,
            next_page_token,
        })
    }
}

fn token(response: &Value) -> String {
    response["conflictToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conveniences_go_both_ways() {
        let ours = json!({
            "action": {"start_workflow": {"workflow_type": {"name": "W"}, "args": ["World", 1],
                       "memo": {"k": [1]}, "search_attributes": {"CustomKeywordField": "x"}}},
            "spec": {"interval": [{"interval": "1s"}]}
        });
        let proto = schedule_to_proto(&ours).unwrap();
        let start = &proto["action"]["start_workflow"];
        assert_eq!(start["input"]["payloads"].as_array().unwrap().len(), 2);
        assert!(start["memo"]["fields"]["k"]["data"].is_string());
        assert!(start["searchAttributes"]["indexedFields"]["CustomKeywordField"].is_object());
        // As the server answers (lowerCamel), back to ours.
        let answered = json!({"action": {"startWorkflow": start.clone()}});
        let back = schedule_from_proto(answered);
        let start = &back["action"]["startWorkflow"];
        assert_eq!(start["args"], json!(["World", 1]));
        assert_eq!(start["memo"], json!({"k": [1]}));
        assert_eq!(
            start["searchAttributes"],
            json!({"CustomKeywordField": "x"})
        );
    }

    #[test]
    fn overlap_policies_by_short_or_full_name() {
        assert_eq!(
            overlap_policy("overlap", "allow_all").unwrap(),
            "SCHEDULE_OVERLAP_POLICY_ALLOW_ALL"
        );
        assert_eq!(
            overlap_policy("overlap", "SCHEDULE_OVERLAP_POLICY_SKIP").unwrap(),
            "SCHEDULE_OVERLAP_POLICY_SKIP"
        );
        let err = overlap_policy("overlap", "sometimes").unwrap_err();
        assert!(err.message().contains("buffer_one"), "{err}");
        let err =
            schedule_to_proto(&json!({"action": {"startWorkflow": {"args": 1}}})).unwrap_err();
        assert_eq!(
            err.detail("field").unwrap(),
            "schedule.action.start_workflow.args"
        );
    }
}
