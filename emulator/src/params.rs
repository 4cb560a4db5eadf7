//! Request parameters as the Service Catalog API reference constrains them, parsed once so that the catalog only
//! ever sees valid values. A value that breaks its constraint is an InvalidParametersException naming the member.

use crate::error::ServiceError;

/// `ProductId`, `ProvisioningArtifactId`, record ids: 1 to 100 characters of `[a-zA-Z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identifier(String);

impl Identifier {
    pub fn parse(member: &str, value: &str) -> Result<Self, ServiceError> {
        let allowed = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-';
        if value.is_empty() || value.len() > 100 || !value.bytes().all(allowed) {
            return Err(ServiceError::invalid_parameters(format!(
                "{member} '{value}' must be 1 to 100 characters of [a-zA-Z0-9_-]"
            )));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `ProvisionedProductName`: pattern `[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedProductName(String);

impl ProvisionedProductName {
    pub fn parse(value: &str) -> Result<Self, ServiceError> {
        let bytes = value.as_bytes();
        let valid = matches!(bytes.first(), Some(first) if first.is_ascii_alphanumeric())
            && bytes.len() <= 128
            && bytes.iter().all(|&byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'));
        if !valid {
            return Err(ServiceError::invalid_parameters(format!(
                "ProvisionedProductName '{value}' does not match [a-zA-Z0-9][a-zA-Z0-9._-]{{0,127}}"
            )));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `IdempotencyToken`: 1 to 128 characters, pattern `[a-zA-Z0-9][a-zA-Z0-9_-]*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyToken(String);

impl IdempotencyToken {
    pub fn parse(value: &str) -> Result<Self, ServiceError> {
        let bytes = value.as_bytes();
        let valid = matches!(bytes.first(), Some(first) if first.is_ascii_alphanumeric())
            && bytes.len() <= 128
            && bytes.iter().all(|&byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-'));
        if !valid {
            return Err(ServiceError::invalid_parameters(format!(
                "IdempotencyToken '{value}' must be 1 to 128 characters matching [a-zA-Z0-9][a-zA-Z0-9_-]*"
            )));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `PhysicalId` of an import: "It only currently supports AWS CloudFormation stack IDs", i.e. stack ARNs
/// `arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackArn {
    arn: String,
    region: String,
    account: String,
}

impl StackArn {
    /// An import's `PhysicalId`.
    pub fn parse(value: &str) -> Result<Self, ServiceError> {
        Self::parse_member("PhysicalId", value)
    }

    /// A stack ARN in `member` (`PhysicalId`, `Parameters.Info.ImportFromPhysicalId`), which errors name.
    pub fn parse_member(member: &str, value: &str) -> Result<Self, ServiceError> {
        let invalid = || {
            ServiceError::invalid_parameters(format!(
                "{member} '{value}' is not a CloudFormation stack id (arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>)"
            ))
        };
        let mut parts = value.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("cloudformation"), Some(region), Some(account), Some(resource)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let mut resource = resource.splitn(3, '/');
        let (Some("stack"), Some(name), Some(id)) = (resource.next(), resource.next(), resource.next()) else {
            return Err(invalid());
        };
        let account_ok = account.len() == 12 && account.bytes().all(|byte| byte.is_ascii_digit());
        if partition.is_empty() || region.is_empty() || !account_ok || name.is_empty() || id.is_empty() {
            return Err(invalid());
        }
        Ok(Self { arn: value.to_owned(), region: region.to_owned(), account: account.to_owned() })
    }

    pub fn as_str(&self) -> &str {
        &self.arn
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn account(&self) -> &str {
        &self.account
    }
}

/// `AcceptLanguage`: `en`, `jp` or `zh` are documented; the constraint itself is only "at most 100 characters", and
/// the emulator answers in English whatever is asked.
pub fn check_accept_language(value: Option<&str>) -> Result<(), ServiceError> {
    match value {
        Some(language) if language.len() > 100 => {
            Err(ServiceError::invalid_parameters("AcceptLanguage must be at most 100 characters"))
        }
        _ => Ok(()),
    }
}

/// A required member: absent or empty is an InvalidParametersException naming it.
pub fn required<'a>(member: &str, value: Option<&'a str>) -> Result<&'a str, ServiceError> {
    match value {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(ServiceError::invalid_parameters(format!("{member} is required"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn a_provisioned_product_name_starts_with_a_letter_or_digit() {
        assert!(ProvisionedProductName::parse("payments-api.v2_x").is_ok());
        for bad in ["", "-payments", ".payments", "pay ments", "pay/ments"] {
            let error = ProvisionedProductName::parse(bad).expect_err(bad);
            assert_eq!(error.code, ErrorCode::InvalidParameters);
        }
    }

    #[test]
    fn a_provisioned_product_name_is_at_most_128_characters() {
        assert!(ProvisionedProductName::parse(&"a".repeat(128)).is_ok());
        assert!(ProvisionedProductName::parse(&"a".repeat(129)).is_err());
    }

    #[test]
    fn an_identifier_allows_only_letters_digits_underscore_and_hyphen() {
        assert!(Identifier::parse("ProductId", "prod-abc_123").is_ok());
        let error = Identifier::parse("ProductId", "prod abc").expect_err("space");
        assert!(error.message.contains("ProductId"), "{}", error.message);
        assert!(Identifier::parse("ProductId", "").is_err());
        assert!(Identifier::parse("ProductId", &"a".repeat(101)).is_err());
    }

    #[test]
    fn an_idempotency_token_may_be_a_uuid_but_not_start_with_a_hyphen() {
        assert!(IdempotencyToken::parse("6a7e8feb-1b2c-4d5e-8f90-123456789abc").is_ok());
        assert!(IdempotencyToken::parse("-abc").is_err());
        assert!(IdempotencyToken::parse("a.b").is_err());
    }

    #[test]
    fn a_physical_id_must_be_a_stack_arn() {
        let arn = StackArn::parse("arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/0b9a-11ee")
            .expect("stack arn");
        assert_eq!(arn.account(), "111122223333");
        assert_eq!(arn.region(), "us-east-1");
        for bad in [
            "payments-api",
            "arn:aws:s3:::bucket",
            "arn:aws:cloudformation:us-east-1:111122223333:stackset/payments:0b9a",
            "arn:aws:cloudformation:us-east-1:1111:stack/payments-api/0b9a",
            "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api",
        ] {
            assert!(StackArn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_required_member_must_be_present_and_not_empty() {
        assert_eq!(required("Name", Some("x")), Ok("x"));
        assert!(required("Name", Some("")).is_err());
        assert!(required("Name", None).expect_err("absent").message.contains("Name"));
    }
}
