//! CloudFormation stack identity (ARN, name) and the snapshot of a stack's current state that the checks read.

use std::collections::BTreeMap;
use std::fmt;

use crate::ids::{AccountId, Region, Scope};
use crate::text::truncate;

/// Why a stack identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidStackId(String);

/// A stack name as CloudFormation allows it: a letter, then letters, digits and hyphens, 128 characters at most.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StackName(String);

impl StackName {
    pub fn parse(raw: &str) -> Result<Self, InvalidStackId> {
        let mut chars = raw.chars();
        let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '-');
        if starts_with_letter && rest_ok && raw.len() <= 128 {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidStackId(format!(
                "{:?} is not a CloudFormation stack name (a letter, then letters, digits or '-', at most 128)",
                truncate(raw, 140)
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StackName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>` — the stack id CloudFormation returns.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StackArn {
    raw: String,
    region: Region,
    account: AccountId,
    name: StackName,
}

impl StackArn {
    pub fn parse(raw: &str) -> Result<Self, InvalidStackId> {
        let refuse =
            |why: &str| InvalidStackId(format!("{:?} is not a CloudFormation stack ARN: {why}", truncate(raw, 140)));
        // ARNs are at most 2048 characters; refuse anything longer before splitting it.
        if raw.len() > 2048 {
            return Err(refuse("longer than 2048 characters"));
        }
        let mut parts = raw.splitn(6, ':');
        let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(refuse("expected arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<id>"));
        };
        if !partition.starts_with("aws") {
            return Err(refuse("unknown partition"));
        }
        if service != "cloudformation" {
            return Err(refuse("not a CloudFormation ARN"));
        }
        let region = Region::parse(region).map_err(|_| refuse("bad region"))?;
        let account = AccountId::parse(account).map_err(|_| refuse("account is not 12 digits"))?;
        let mut resource_parts = resource.splitn(3, '/');
        let (Some("stack"), Some(name), Some(id)) =
            (resource_parts.next(), resource_parts.next(), resource_parts.next())
        else {
            return Err(refuse("resource is not stack/<name>/<id>"));
        };
        if id.is_empty() || id.contains('/') {
            return Err(refuse("bad stack id"));
        }
        let name = StackName::parse(name).map_err(|_| refuse("bad stack name"))?;
        Ok(Self { raw: raw.to_owned(), region, account, name })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn name(&self) -> &StackName {
        &self.name
    }

    pub fn region(&self) -> &Region {
        &self.region
    }

    pub fn account(&self) -> &AccountId {
        &self.account
    }

    /// The stack's own account and region, where it can be read and imported.
    pub fn scope(&self) -> Scope {
        Scope::Stack { account: self.account.clone(), region: self.region.clone() }
    }
}

impl fmt::Display for StackArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// How a request names its stack. DescribeStacks accepts either; only the ARN survives a deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackRef {
    Arn(StackArn),
    /// A name, looked up where the function runs.
    Name(StackName),
    /// A name in another account and region (a manual request's `account` and `region`, docs/CONTRACT.md §8).
    NameIn {
        name: StackName,
        account: AccountId,
        region: Region,
    },
}

impl StackRef {
    pub fn as_str(&self) -> &str {
        match self {
            StackRef::Arn(arn) => arn.as_str(),
            StackRef::Name(name) | StackRef::NameIn { name, .. } => name.as_str(),
        }
    }

    /// Where to look the stack up: an ARN says; a bare name is looked up where the function runs.
    pub fn scope(&self) -> Scope {
        match self {
            StackRef::Arn(arn) => arn.scope(),
            StackRef::Name(_) => Scope::Home,
            StackRef::NameIn { account, region, .. } => {
                Scope::Stack { account: account.clone(), region: region.clone() }
            }
        }
    }
}

/// A stack status as CloudFormation reports it (`CREATE_COMPLETE`, `UPDATE_ROLLBACK_COMPLETE` …). Kept as text:
/// CloudFormation adds statuses, and an unknown one must still be reported, just not imported.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StackStatus(String);

impl StackStatus {
    /// Statuses in which a stack is stable and complete: the states ImportAsProvisionedProduct accepts.
    pub const IMPORTABLE: [&'static str; 5] = [
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    ];

    pub fn new(status: impl Into<String>) -> Self {
        Self(status.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_importable(&self) -> bool {
        Self::IMPORTABLE.contains(&self.0.as_str())
    }
}

impl fmt::Display for StackStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The state of a stack as DescribeStacks reports it now (never as an event reported it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    pub arn: StackArn,
    pub status: StackStatus,
    /// Set on nested stacks: the stack id of the direct parent.
    pub parent_id: Option<String>,
    /// `LastUpdatedTime`, or `CreationTime` for a stack never updated, as text: identifies this version of the stack.
    pub changed_at: String,
    pub tags: BTreeMap<String, String>,
}

impl Stack {
    pub fn name(&self) -> &StackName {
        self.arn.name()
    }

    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(key).map(String::as_str)
    }

    /// The whole seconds of `changed_at` (`<epoch seconds>.<nanoseconds>`), when it has that form.
    pub fn changed_secs(&self) -> Option<i64> {
        self.changed_at.split('.').next()?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str =
        "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/0b9a4c20-5ad5-11ef-a1b2-0a1b2c3d4e5f";

    #[test]
    fn a_stack_arn_yields_its_name_region_and_account() {
        let arn = StackArn::parse(ARN).unwrap();
        assert_eq!(arn.name().as_str(), "payments-api");
        assert_eq!(arn.region().as_str(), "us-east-1");
        assert_eq!(arn.account().as_str(), "111122223333");
        assert_eq!(arn.as_str(), ARN);
    }

    #[test]
    fn arns_of_other_partitions_are_accepted() {
        let arn = StackArn::parse("arn:aws-cn:cloudformation:cn-north-1:111122223333:stack/a/b").unwrap();
        assert_eq!(arn.region().as_str(), "cn-north-1");
    }

    #[test]
    fn foreign_arns_are_refused() {
        for bad in [
            "arn:aws:sns:us-east-1:111122223333:topic",
            "arn:aws:cloudformation:us-east-1:111122223333:stackset/x:1",
            "arn:aws:cloudformation:us-east-1:1111:stack/x/y",
            "arn:aws:cloudformation:us-east-1:111122223333:stack/x",
            "arn:aws:cloudformation:us-east-1:111122223333:stack/9x/y",
            "arn:aws:cloudformation::111122223333:stack/x/y",
            "arn:foo:cloudformation:us-east-1:111122223333:stack/x/y",
            "payments-api",
            "",
        ] {
            assert!(StackArn::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn an_oversized_arn_is_refused_with_a_short_message() {
        let huge = format!("arn:aws:cloudformation:us-east-1:111122223333:stack/{}/id", "a".repeat(5000));
        let error = StackArn::parse(&huge).unwrap_err().to_string();
        assert!(error.len() < 400, "{error}");
    }

    #[test]
    fn stack_names_follow_cloudformation_rules() {
        assert!(StackName::parse("payments-api-2").is_ok());
        assert!(StackName::parse(&"a".repeat(128)).is_ok());
        assert!(StackName::parse(&"a".repeat(129)).is_err());
        assert!(StackName::parse("2fast").is_err());
        assert!(StackName::parse("under_score").is_err());
        assert!(StackName::parse("").is_err());
    }
}
