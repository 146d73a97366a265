//! Server-side encryption settings (SSESpecification). DynamoDB encrypts
//! every table at rest, by default with a key AWS owns; a table may ask for
//! a KMS key instead, the account's AWS managed key for DynamoDB or one of
//! its own. dynalith keeps no KMS: it records which key the table asked
//! for and describes it as DynamoDB does (SSEDescription), so code and
//! infrastructure tools that set encryption and read it back work. Data
//! on disk is protected by what protects the data directory.

use crate::validate::Violations;
use dynalith_model::DynamoError;
use serde::{Deserialize, Serialize};

/// A table encrypted with a KMS key; tables without one use the key AWS
/// owns, which DynamoDB does not describe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KmsEncryption {
    pub kms_master_key_arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SseSpecificationInput {
    enabled: Option<bool>,
    #[serde(rename = "SSEType")]
    sse_type: Option<String>,
    #[serde(rename = "KMSMasterKeyId")]
    kms_master_key_id: Option<String>,
}

impl SseSpecificationInput {
    pub fn check(&self, v: &mut Violations, path: &str) {
        v.one_of(
            self.sse_type.as_deref(),
            &format!("{path}.sSEType"),
            &["AES256", "KMS"],
        );
    }

    /// DynamoDB's rules on how the members go together (CreateTable,
    /// UpdateTable), in its words; run after the member checks.
    pub fn validate(&self) -> Result<(), DynamoError> {
        let disabled = self.enabled == Some(false);
        let rule = if disabled && self.sse_type.is_some() {
            "SSEType can not be specified if Enabled is false"
        } else if disabled && self.kms_master_key_id.is_some() {
            "KMSMasterKeyId can not be specified if Enabled is false"
        } else if self.kms_master_key_id.is_some() && self.sse_type.as_deref() != Some("KMS") {
            "SSEType KMS is required if KMSMasterKeyId is specified"
        } else if self.sse_type.as_deref() == Some("AES256") {
            "SSEType AES256 is not supported"
        } else {
            return Ok(());
        };
        Err(DynamoError::invalid_parameter(rule))
    }

    /// The encryption this asks for: a KMS key when enabled (SSEType KMS
    /// alone enables it too), else the key AWS owns (None).
    pub fn encryption(&self, region: &str) -> Option<KmsEncryption> {
        let kms = self
            .enabled
            .unwrap_or(self.sse_type.as_deref() == Some("KMS"));
        kms.then(|| KmsEncryption {
            kms_master_key_arn: key_arn(self.kms_master_key_id.as_deref(), region),
        })
    }

    /// Whether this names `arn` itself as its key: the one form DynamoDB
    /// compares with the key a table uses (an alias or key id is resolved
    /// and applied again).
    pub fn names_key_arn(&self, arn: &str) -> bool {
        arn.starts_with("arn:") && self.kms_master_key_id.as_deref() == Some(arn)
    }
}

/// The ARN DynamoDB reports for the key a table names: an ARN as given, a
/// key id or alias within the account and region, and without one the
/// account's AWS managed key for DynamoDB (`alias/aws/dynamodb`), whose id
/// is made up once per region.
fn key_arn(key: Option<&str>, region: &str) -> String {
    let account = crate::ACCOUNT_ID;
    match key {
        Some(arn) if arn.starts_with("arn:") => arn.to_string(),
        Some(alias) if alias.starts_with("alias/") => {
            format!("arn:aws:kms:{region}:{account}:{alias}")
        }
        Some(id) => format!("arn:aws:kms:{region}:{account}:key/{id}"),
        None => {
            let bits = xxhash_rust::xxh3::xxh3_128(format!("aws/dynamodb {region}").as_bytes());
            let id = uuid::Uuid::from_u128(bits);
            format!("arn:aws:kms:{region}:{account}:key/{id}")
        }
    }
}

/// The table description's SSEDescription, when a KMS key is in use.
pub fn description(encryption: &KmsEncryption) -> serde_json::Value {
    serde_json::json!({
        "Status": "ENABLED",
        "SSEType": "KMS",
        "KMSMasterKeyArn": encryption.kms_master_key_arn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> SseSpecificationInput {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn kms_is_asked_for_by_enabled_or_by_its_type() {
        let region = "eu-west-1";
        assert_eq!(spec(r#"{"Enabled":false}"#).encryption(region), None);
        assert_eq!(spec(r#"{}"#).encryption(region), None);
        let managed = spec(r#"{"Enabled":true}"#).encryption(region).unwrap();
        assert!(managed
            .kms_master_key_arn
            .starts_with("arn:aws:kms:eu-west-1:000000000000:key/"));
        assert_eq!(
            spec(r#"{"SSEType":"KMS"}"#).encryption(region),
            Some(managed)
        );
        assert_eq!(
            spec(r#"{"Enabled":true,"KMSMasterKeyId":"alias/mine"}"#)
                .encryption(region)
                .unwrap()
                .kms_master_key_arn,
            "arn:aws:kms:eu-west-1:000000000000:alias/mine"
        );
        assert_eq!(
            spec(r#"{"Enabled":true,"KMSMasterKeyId":"1234abcd-12ab-34cd-56ef-1234567890ab"}"#)
                .encryption(region)
                .unwrap()
                .kms_master_key_arn,
            "arn:aws:kms:eu-west-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        );
    }

    #[test]
    fn members_that_do_not_go_together_are_refused() {
        let refused = [
            (
                r#"{"Enabled":false,"SSEType":"KMS"}"#,
                "SSEType can not be specified if Enabled is false",
            ),
            (
                r#"{"Enabled":false,"KMSMasterKeyId":"k"}"#,
                "KMSMasterKeyId can not be specified if Enabled is false",
            ),
            (
                r#"{"Enabled":true,"KMSMasterKeyId":"k"}"#,
                "SSEType KMS is required if KMSMasterKeyId is specified",
            ),
            (
                r#"{"Enabled":true,"SSEType":"AES256"}"#,
                "SSEType AES256 is not supported",
            ),
        ];
        for (json, rule) in refused {
            assert_eq!(
                spec(json).validate().unwrap_err().message,
                format!("One or more parameter values were invalid: {rule}"),
                "{json}"
            );
        }
        for json in [
            r#"{}"#,
            r#"{"Enabled":false}"#,
            r#"{"Enabled":true}"#,
            r#"{"SSEType":"KMS"}"#,
            r#"{"Enabled":true,"SSEType":"KMS","KMSMasterKeyId":"k"}"#,
        ] {
            assert!(spec(json).validate().is_ok(), "{json}");
        }
    }
}
