//! Support for `differential_expressions.rs`: generated requests, sending
//! them through the AWS SDK, and comparable forms of the answers.

pub mod explain;
pub mod generate;
pub mod normalize;
pub mod values;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue as Av, ReturnValue, ReturnValuesOnConditionCheckFailure,
};
use aws_sdk_dynamodb::Client;
use normalize::{canonical_item, canonical_option, raw, raw_item, Outcome};
use serde_json::{json, Value};
use std::collections::HashMap;
use values::Item;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Put,
    Update,
    Delete,
    Get,
}

/// One generated request, sent unchanged to both servers.
#[derive(Clone, Debug)]
pub struct Request {
    pub operation: Operation,
    pub key: Item,
    /// PutItem's item.
    pub item: Option<Item>,
    pub update: Option<String>,
    pub condition: Option<String>,
    pub projection: Option<String>,
    pub names: Option<HashMap<String, String>>,
    pub values: Option<HashMap<String, Av>>,
    pub return_values: Option<ReturnValue>,
    pub return_on_failure: bool,
}

impl Request {
    /// The request as DynamoDB JSON-ish text, for reports.
    pub fn describe(&self) -> String {
        let mut out = json!({ "op": format!("{:?}", self.operation) });
        let fields = [
            ("Key", Some(raw_item(&self.key))),
            ("Item", self.item.as_ref().map(raw_item)),
            ("UpdateExpression", self.update.as_ref().map(|t| json!(t))),
            (
                "ConditionExpression",
                self.condition.as_ref().map(|t| json!(t)),
            ),
            (
                "ProjectionExpression",
                self.projection.as_ref().map(|t| json!(t)),
            ),
            (
                "ExpressionAttributeNames",
                self.names.as_ref().map(|n| json!(n)),
            ),
            (
                "ExpressionAttributeValues",
                self.values
                    .as_ref()
                    .map(|v| Value::Object(v.iter().map(|(k, v)| (k.clone(), raw(v))).collect())),
            ),
            (
                "ReturnValues",
                self.return_values.as_ref().map(|r| json!(r.as_str())),
            ),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                out[name] = value;
            }
        }
        if self.return_on_failure {
            out["ReturnValuesOnConditionCheckFailure"] = json!("ALL_OLD");
        }
        out.to_string()
    }
}

/// A client without retries: a retried write could apply twice.
pub fn client(endpoint: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

fn on_failure(request: &Request) -> Option<ReturnValuesOnConditionCheckFailure> {
    request
        .return_on_failure
        .then_some(ReturnValuesOnConditionCheckFailure::AllOld)
}

pub async fn send(client: &Client, table: &str, request: &Request) -> Outcome {
    let names = request.names.clone();
    let values = request.values.clone();
    match request.operation {
        Operation::Put => {
            let result = client
                .put_item()
                .table_name(table)
                .set_item(request.item.clone())
                .set_condition_expression(request.condition.clone())
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_values(request.return_values.clone())
                .set_return_values_on_condition_check_failure(on_failure(request))
                .send()
                .await;
            match result {
                Ok(out) => Outcome::ok(canonical_option(out.attributes.as_ref())),
                Err(e) => {
                    let item = match e.as_service_error() {
                        Some(PutItemError::ConditionalCheckFailedException(c)) => {
                            canonical_option(c.item.as_ref())
                        }
                        _ => None,
                    };
                    Outcome::error(&e, item)
                }
            }
        }
        Operation::Update => {
            let result = client
                .update_item()
                .table_name(table)
                .set_key(Some(request.key.clone()))
                .set_update_expression(request.update.clone())
                .set_condition_expression(request.condition.clone())
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_values(request.return_values.clone())
                .set_return_values_on_condition_check_failure(on_failure(request))
                .send()
                .await;
            match result {
                Ok(out) => Outcome::ok(canonical_option(out.attributes.as_ref())),
                Err(e) => {
                    let item = match e.as_service_error() {
                        Some(UpdateItemError::ConditionalCheckFailedException(c)) => {
                            canonical_option(c.item.as_ref())
                        }
                        _ => None,
                    };
                    Outcome::error(&e, item)
                }
            }
        }
        Operation::Delete => {
            let result = client
                .delete_item()
                .table_name(table)
                .set_key(Some(request.key.clone()))
                .set_condition_expression(request.condition.clone())
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_values(request.return_values.clone())
                .set_return_values_on_condition_check_failure(on_failure(request))
                .send()
                .await;
            match result {
                Ok(out) => Outcome::ok(canonical_option(out.attributes.as_ref())),
                Err(e) => {
                    let item = match e.as_service_error() {
                        Some(DeleteItemError::ConditionalCheckFailedException(c)) => {
                            canonical_option(c.item.as_ref())
                        }
                        _ => None,
                    };
                    Outcome::error(&e, item)
                }
            }
        }
        Operation::Get => {
            // GetItem takes no ExpressionAttributeValues.
            let result = client
                .get_item()
                .table_name(table)
                .set_key(Some(request.key.clone()))
                .consistent_read(true)
                .set_projection_expression(request.projection.clone())
                .set_expression_attribute_names(names)
                .send()
                .await;
            match result {
                Ok(out) => Outcome::ok(out.item.as_ref().map(canonical_item)),
                Err(e) => Outcome::error(&e, None),
            }
        }
    }
}

/// The whole stored item (ConsistentRead), as the SDK gives it.
pub async fn fetch(client: &Client, table: &str, key: &Item) -> Result<Option<Item>, String> {
    client
        .get_item()
        .table_name(table)
        .set_key(Some(key.clone()))
        .consistent_read(true)
        .send()
        .await
        .map(|out| out.item)
        .map_err(|e| format!("{e:?}"))
}
