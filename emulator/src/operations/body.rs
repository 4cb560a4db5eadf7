//! The JSON body of a request and of its answer: an operation's input parsed from the one, its output turned into
//! the other.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ErrorCode, ServiceError};

/// An empty body is an empty input, as the SDK sends `{}` for operations without members.
pub(super) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ServiceError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    serde_json::from_slice(body)
        .map_err(|error| ServiceError::new(ErrorCode::Serialization, format!("the request body is not valid: {error}")))
}

pub(super) fn answer<T: Serialize>(output: T) -> Result<Value, ServiceError> {
    serde_json::to_value(output).map_err(|error| ServiceError::new(ErrorCode::InternalFailure, error.to_string()))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    /// DescribeRecord's `Id` member, as `import::DescribeRecordInput` reads it (that module is above this one).
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct DescribeRecordInput {
        id: Option<String>,
    }

    #[test]
    fn an_empty_body_is_an_empty_input() {
        let input: DescribeRecordInput = parse(b"").expect("empty");
        assert!(input.id.is_none());
    }

    #[test]
    fn a_member_of_the_wrong_type_is_a_serialization_exception() {
        let error = parse::<DescribeRecordInput>(br#"{"Id": 5}"#).expect_err("number");
        assert_eq!(error.code, ErrorCode::Serialization);
    }
}
