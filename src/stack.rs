//! CloudFormation stack identity (ARN, name) and the snapshot of a stack's current state that the checks read.

use std::collections::BTreeMap;
use std::fmt;

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
    region: String,
    account: String,
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
        if region.is_empty() || !region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(refuse("bad region"));
        }
        if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            return Err(refuse("account is not 12 digits"));
        }
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
        Ok(Self { raw: raw.to_owned(), region: region.to_owned(), account: account.to_owned(), name })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn name(&self) -> &StackName {
        &self.name
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn account(&self) -> &str {
        &self.account
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
    Name(StackName),
}

impl StackRef {
    pub fn as_str(&self) -> &str {
        match self {
            StackRef::Arn(arn) => arn.as_str(),
            StackRef::Name(name) => name.as_str(),
        }
    }
}

/// The state of a stack as DescribeStacks reports it now (never as an event reported it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    pub arn: StackArn,
    pub status: String,
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
}

/// Cuts a string for an error message without splitting a character.
pub(crate) fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((index, _)) => format!("{}…", &text[..index]),
        None => text.to_owned(),
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
        assert_eq!(arn.region(), "us-east-1");
        assert_eq!(arn.account(), "111122223333");
        assert_eq!(arn.as_str(), ARN);
    }

    #[test]
    fn arns_of_other_partitions_are_accepted() {
        let arn = StackArn::parse("arn:aws-cn:cloudformation:cn-north-1:111122223333:stack/a/b").unwrap();
        assert_eq!(arn.region(), "cn-north-1");
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

    #[test]
    fn truncation_never_splits_a_character() {
        assert_eq!(truncate("ééé", 2), "éé…");
        assert_eq!(truncate("ab", 5), "ab");
    }
}
