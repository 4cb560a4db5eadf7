//! The AWS JSON 1.1 protocol as Service Catalog speaks it: `POST /` with
//! `X-Amz-Target: AWS242ServiceCatalogService.<Operation>` and a JSON body; answers are JSON with
//! `Content-Type: application/x-amz-json-1.1`, errors are `{"__type": "<Exception>", "message": "…"}`.
//! Signatures are not checked: the `Authorization` header is read only for its credential scope, the access key id
//! and the region the request was signed with.

use serde_json::json;

use crate::error::{ErrorCode, ServiceError};

pub const TARGET_PREFIX: &str = "AWS242ServiceCatalogService.";
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

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

/// What a SigV4 `Authorization` header's credential scope says about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    pub access_key_id: String,
    pub region: String,
}

/// The access key id and region of a SigV4 `Authorization` header's credential scope
/// (`Credential=<key>/<date>/<region>/<service>/aws4_request`); None without a header or with one of another shape.
pub fn credential_scope(authorization: Option<&str>) -> Option<CredentialScope> {
    let credential = authorization?.split("Credential=").nth(1)?.split([',', ' ']).next()?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, _date, region, _service, "aws4_request"] = parts.as_slice() else {
        return None;
    };
    if access_key_id.is_empty() || region.is_empty() {
        return None;
    }
    Some(CredentialScope { access_key_id: (*access_key_id).to_owned(), region: (*region).to_owned() })
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
    fn the_access_key_and_region_come_from_the_credential_scope() {
        let header = "AWS4-HMAC-SHA256 Credential=ASIATCH6YDSYQ2ZEKQW2/20261128/eu-west-1/servicecatalog/aws4_request, \
                      SignedHeaders=host;x-amz-date, Signature=abc";
        let scope = credential_scope(Some(header)).expect("scope");
        assert_eq!(
            scope,
            CredentialScope { access_key_id: "ASIATCH6YDSYQ2ZEKQW2".to_owned(), region: "eu-west-1".to_owned() }
        );
        let lowercase_key = "AWS4-HMAC-SHA256 Credential=local/20261128/us-east-1/servicecatalog/aws4_request,x";
        assert_eq!(credential_scope(Some(lowercase_key)).map(|scope| scope.access_key_id), Some("local".to_owned()));
        for unsigned in [
            None,
            Some("Bearer x"),
            Some("AWS4-HMAC-SHA256 Credential=/20261128/us-east-1/servicecatalog/aws4_request"),
            Some("AWS4-HMAC-SHA256 Credential=AKID/20261128//servicecatalog/aws4_request"),
            Some("AWS4-ECDSA-P256-SHA256 Credential=AKID/20261128/servicecatalog/aws4_request"),
        ] {
            assert_eq!(credential_scope(unsigned), None, "{unsigned:?}");
        }
    }

    #[test]
    fn an_error_body_carries_the_exception_name_in_type() {
        let body = error_body(&ServiceError::not_found("Record 'rec-x' was not found"));
        let parsed: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(parsed["__type"], "ResourceNotFoundException");
        assert_eq!(parsed["message"], "Record 'rec-x' was not found");
    }
}
