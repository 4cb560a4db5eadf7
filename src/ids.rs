//! Service Catalog and account identifiers, each parsed once at the edge (request, tag, rule, AWS answer) into a type
//! that cannot hold a malformed value, so nothing downstream validates them again.

use std::fmt;

use serde::{Serialize, Serializer};

/// Why a value is not the identifier it was meant to be; the message names the field and shows the value, cut short.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidId(pub String);

/// Defines a string newtype with `as_str`, `Display`, `Serialize` (as the plain string) and a `parse` that checks it.
macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, InvalidId> {
                let check: fn(&str) -> Result<(), InvalidId> = $check;
                check(raw).map(|()| Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
    };
}

string_id!(
    /// A product id (`prod-…`).
    ProductId,
    |raw| catalog_id("productId", raw)
);
string_id!(
    /// A provisioning artifact (product version) id (`pa-…`).
    ArtifactId,
    |raw| catalog_id("provisioningArtifactId", raw)
);
string_id!(
    /// A record id (`rec-…`): one request to Service Catalog, such as an import, and its progress.
    RecordId,
    |raw| catalog_id("recordId", raw)
);
string_id!(
    /// A provisioned product id (`pp-…`).
    ProvisionedProductId,
    |raw| catalog_id("provisionedProductId", raw)
);
string_id!(
    /// A provisioned product name as Service Catalog allows it: `[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}`.
    ProvisionedProductName,
    provisioned_product_name
);
string_id!(
    /// A 12-digit AWS account id.
    AccountId,
    |raw| {
        if raw.len() == 12 && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err(InvalidId(format!("account {:?} is not 12 digits", crate::text::truncate(raw, 40))))
        }
    }
);
string_id!(
    /// An AWS region code such as `us-east-1`.
    Region,
    |raw| {
        let ok = !raw.is_empty()
            && raw.len() <= 32
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok { Ok(()) } else { Err(InvalidId(format!("region {:?} is not a region code", crate::text::truncate(raw, 40)))) }
    }
);

/// Service Catalog ids (`prod-…`, `pa-…`, `rec-…`) are 1–100 characters of `[a-zA-Z0-9_-]`.
fn catalog_id(field: &str, raw: &str) -> Result<(), InvalidId> {
    let ok =
        !raw.is_empty() && raw.len() <= 100 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(InvalidId(format!(
            "{field} {:?} is not a Service Catalog id ([a-zA-Z0-9_-], 1–100)",
            crate::text::truncate(raw, 120)
        )))
    }
}

fn provisioned_product_name(raw: &str) -> Result<(), InvalidId> {
    let mut bytes = raw.bytes();
    let ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && raw.len() <= 128;
    if ok {
        Ok(())
    } else {
        Err(InvalidId(format!(
            "provisioned product name {:?} does not match [a-zA-Z0-9][a-zA-Z0-9._-]{{0,127}}",
            crate::text::truncate(raw, 140)
        )))
    }
}

/// Where a stack lives, and so where every CloudFormation and Service Catalog call about it is made: Service Catalog
/// imports a stack only in the stack's own account and region.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The function's own account and region: a stack named only by its name is looked up there.
    Home,
    Stack {
        account: AccountId,
        region: Region,
    },
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Home => f.write_str("the function's own account and region"),
            Scope::Stack { account, region } => write!(f, "account {account} in {region}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_ids_are_letters_digits_underscores_and_hyphens() {
        assert!(ProductId::parse("prod-abcdefghijklm").is_ok());
        assert!(ArtifactId::parse(&"a".repeat(100)).is_ok());
        assert!(ArtifactId::parse(&"a".repeat(101)).is_err());
        assert!(ProductId::parse("prod a/b").is_err());
        assert!(RecordId::parse("").is_err());
        let error = ProductId::parse("bad id").unwrap_err().to_string();
        assert!(error.starts_with("productId \"bad id\""), "{error}");
    }

    #[test]
    fn provisioned_product_names_follow_service_catalog_rules() {
        assert!(ProvisionedProductName::parse("payments.api_v2-x").is_ok());
        assert!(ProvisionedProductName::parse(&"a".repeat(128)).is_ok());
        assert!(ProvisionedProductName::parse(&"a".repeat(129)).is_err());
        assert!(ProvisionedProductName::parse("_x").is_err());
        assert!(ProvisionedProductName::parse("").is_err());
        assert!(ProvisionedProductName::parse("a b").is_err());
    }

    #[test]
    fn accounts_and_regions_are_checked() {
        assert!(AccountId::parse("111122223333").is_ok());
        assert!(AccountId::parse("1111").is_err());
        assert!(AccountId::parse("11112222333a").is_err());
        assert!(Region::parse("eu-west-1").is_ok());
        assert!(Region::parse("EU").is_err());
        assert!(Region::parse("").is_err());
    }

    #[test]
    fn an_id_serializes_as_its_plain_text() {
        let id = ProductId::parse("prod-1").unwrap();
        assert_eq!(serde_json::to_value(&id).unwrap(), serde_json::json!("prod-1"));
        assert_eq!(id.to_string(), "prod-1");
    }
}
