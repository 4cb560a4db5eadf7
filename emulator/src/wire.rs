//! The AWS JSON 1.1 protocol as Service Catalog speaks it: `POST /` with
//! `X-Amz-Target: AWS242ServiceCatalogService.<Operation>` and a JSON body; answers are JSON with
//! `Content-Type: application/x-amz-json-1.1`, errors are `{"__type": "<Exception>", "message": "…"}`.
//! Signatures are not checked: the `Authorization` header is read only for the region in its credential scope.

use serde_json::json;

use crate::error::{ErrorCode, ServiceError};

pub const TARGET_PREFIX: &str = "AWS242ServiceCatalogService.";
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
pub const DEFAULT_REGION: &str = "us-east-1";

/// The operation an `X-Amz-Target` header names.
pub fn operation_name(target: Option<&str>) -> Result<&str, ServiceError> {
    match target.and_then(|target| target.strip_prefix(TARGET_PREFIX)) {
        Some(operation) if !operation.is_empty() => Ok(operation),
        _ => Err(ServiceError::new(
            ErrorCode::UnknownOperation,
            format!(
                "X-Amz-Target '{}' does not name a Service Catalog operation ({TARGET_PREFIX}<Operation>)",
                target.unwrap_or_default()
            ),
        )),
    }
}

/// The region of a SigV4 `Authorization` header's credential scope
/// (`Credential=<key>/<date>/<region>/<service>/aws4_request`), or us-east-1 when there is none.
pub fn region_of(authorization: Option<&str>) -> String {
    authorization
        .and_then(|header| header.split("Credential=").nth(1))
        .and_then(|credential| credential.split([',', ' ']).next())
        .and_then(|scope| scope.split('/').nth(2))
        .filter(|region| !region.is_empty())
        .unwrap_or(DEFAULT_REGION)
        .to_owned()
}

/// The body of an error answer.
pub fn error_body(error: &ServiceError) -> String {
    json!({"__type": error.code.type_name(), "message": error.message}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_names_the_operation() {
        assert_eq!(operation_name(Some("AWS242ServiceCatalogService.DescribeRecord")), Ok("DescribeRecord"));
    }

    #[test]
    fn a_target_of_another_service_is_an_unknown_operation() {
        let error = operation_name(Some("DynamoDB_20120810.GetItem")).expect_err("foreign");
        assert_eq!(error.code, ErrorCode::UnknownOperation);
        assert_eq!(operation_name(None).expect_err("absent").code, ErrorCode::UnknownOperation);
    }

    #[test]
    fn the_region_comes_from_the_credential_scope() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261128/eu-west-1/servicecatalog/aws4_request, \
                      SignedHeaders=host;x-amz-date, Signature=abc";
        assert_eq!(region_of(Some(header)), "eu-west-1");
        assert_eq!(region_of(None), "us-east-1");
        assert_eq!(region_of(Some("Bearer x")), "us-east-1");
    }

    #[test]
    fn an_error_body_carries_the_exception_name_in_type() {
        let body = error_body(&ServiceError::not_found("Record 'rec-x' was not found"));
        let parsed: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(parsed["__type"], "ResourceNotFoundException");
        assert_eq!(parsed["message"], "Record 'rec-x' was not found");
    }
}
