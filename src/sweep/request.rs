//! A sweep request (`{"sweep":{…}}`, docs/CONTRACT.md §1d) and the cursor that resumes one: parsed strictly, since
//! a misspelt field must not silently widen a sweep to every stack.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::summary::Totals;
use crate::ids::{AccountId, Region};
use crate::text::{digest, truncate};

/// At most this many accounts and regions are named in one sweep; more is a list of the organization, `"*"`.
pub const MAX_ACCOUNTS: usize = 1000;
pub const MAX_REGIONS: usize = 40;
/// A cursor is a few hundred characters; anything much longer was not made by this function.
const MAX_CURSOR_CHARS: usize = 64 * 1024;

/// Which accounts a sweep covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountChoice {
    /// The function's own account (the default).
    Own,
    /// `"*"`: every active account of the organization (docs/CONTRACT.md §8).
    Organization,
    Listed(Vec<AccountId>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepRequest {
    pub dry_run: Option<bool>,
    /// A glob over stack names, as in rules.
    pub stack_name: Option<String>,
    pub accounts: AccountChoice,
    /// `None`: the function's own region.
    pub regions: Option<Vec<Region>>,
    pub cursor: Option<Cursor>,
    /// The request's fields as given, without the cursor: what a continuation repeats, and what a cursor is bound to.
    fields: Map<String, Value>,
}

/// Where a sweep stopped, and what it had counted: the next invocation goes on from here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub id: String,
    /// The fingerprint of the request fields this cursor belongs to.
    #[serde(rename = "for")]
    pub request: String,
    /// The index of the account and region being swept, in the order the request gives them.
    pub scope: usize,
    /// The last stack ARN decided in that scope (stacks are taken in ARN order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    pub totals: Totals,
}

impl Cursor {
    /// The cursor as the answer gives it: an opaque string (hex of its JSON).
    pub fn encode(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        json.bytes().map(|byte| format!("{byte:02x}")).collect()
    }

    fn decode(text: &str) -> Result<Cursor, String> {
        let refuse = || format!("cursor {:?} was not made by this function", truncate(text, 40));
        if text.len() > MAX_CURSOR_CHARS || !text.len().is_multiple_of(2) {
            return Err(refuse());
        }
        let bytes = (0..text.len())
            .step_by(2)
            .map(|at| text.get(at..at + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(refuse)?;
        serde_json::from_slice(&bytes).map_err(|_| refuse())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawSweep {
    dry_run: Option<bool>,
    stack_name: Option<String>,
    accounts: Option<Vec<String>>,
    regions: Option<Vec<String>>,
}

impl SweepRequest {
    /// The value of the payload's `sweep` field.
    pub fn parse(value: Value) -> Result<SweepRequest, String> {
        let Value::Object(mut fields) = value else {
            return Err("\"sweep\" must be an object, e.g. {\"sweep\":{\"dryRun\":true}}".into());
        };
        let cursor_text = fields.remove("cursor");
        let raw: RawSweep = serde_json::from_value(Value::Object(fields.clone()))
            .map_err(|error| format!("malformed sweep request: {error}"))?;
        let stack_name = match raw.stack_name {
            Some(glob) if glob.is_empty() || glob.len() > 255 => {
                return Err("sweep stackName must be a glob of 1 to 255 characters".into());
            }
            other => other,
        };
        let accounts = match raw.accounts {
            None => AccountChoice::Own,
            Some(list) if list.iter().any(|account| account == "*") => {
                if list.len() > 1 {
                    return Err("sweep accounts: \"*\" (the whole organization) stands alone".into());
                }
                AccountChoice::Organization
            }
            Some(list) if list.is_empty() || list.len() > MAX_ACCOUNTS => {
                return Err(format!("sweep accounts must list 1 to {MAX_ACCOUNTS} accounts, or \"*\""));
            }
            Some(list) => AccountChoice::Listed(distinct(
                list.iter().map(|account| AccountId::parse(account).map_err(|error| error.to_string())),
            )?),
        };
        let regions = match raw.regions {
            None => None,
            Some(list) if list.is_empty() || list.len() > MAX_REGIONS => {
                return Err(format!("sweep regions must list 1 to {MAX_REGIONS} regions"));
            }
            Some(list) => {
                Some(distinct(list.iter().map(|region| Region::parse(region).map_err(|error| error.to_string())))?)
            }
        };
        let mut request = SweepRequest { dry_run: raw.dry_run, stack_name, accounts, regions, cursor: None, fields };
        request.cursor = match cursor_text {
            None => None,
            Some(Value::String(text)) => {
                let cursor = Cursor::decode(&text)?;
                if cursor.request != request.fingerprint() {
                    return Err("the cursor belongs to a sweep with other fields; resume with the same fields".into());
                }
                Some(cursor)
            }
            Some(_) => return Err("sweep cursor must be the string a previous sweep answered".into()),
        };
        Ok(request)
    }

    /// Binds a cursor to the request's fields.
    pub fn fingerprint(&self) -> String {
        let text = Value::Object(self.fields.clone()).to_string();
        digest(&[&text]).chars().take(16).collect()
    }

    /// The same request, resumed at `cursor`: the body of a continuation.
    pub fn resumed_at(&self, cursor: &Cursor) -> Value {
        let mut fields = self.fields.clone();
        fields.insert("cursor".into(), Value::String(cursor.encode()));
        serde_json::json!({ "sweep": fields })
    }
}

/// The items in the order given, each once.
fn distinct<T: PartialEq>(items: impl Iterator<Item = Result<T, String>>) -> Result<Vec<T>, String> {
    let mut kept = Vec::new();
    for item in items {
        let item = item?;
        if !kept.contains(&item) {
            kept.push(item);
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_field_is_optional() {
        let request = SweepRequest::parse(json!({})).unwrap();
        assert_eq!((request.dry_run, request.stack_name, request.regions), (None, None, None));
        assert_eq!(request.accounts, AccountChoice::Own);
    }

    #[test]
    fn fields_are_read_and_lists_keep_their_order_once() {
        let request = SweepRequest::parse(json!({"dryRun":true,"stackName":"payments-*",
            "accounts":["111122223333","444455556666","111122223333"],"regions":["eu-west-1","us-east-1"]}))
        .unwrap();
        assert_eq!(request.dry_run, Some(true));
        let AccountChoice::Listed(accounts) = &request.accounts else { panic!("{:?}", request.accounts) };
        assert_eq!(accounts.iter().map(AccountId::as_str).collect::<Vec<_>>(), ["111122223333", "444455556666"]);
        assert_eq!(request.regions.unwrap().iter().map(Region::as_str).collect::<Vec<_>>(), ["eu-west-1", "us-east-1"]);
        assert_eq!(SweepRequest::parse(json!({"accounts":["*"]})).unwrap().accounts, AccountChoice::Organization);
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_refused() {
        for sweep in [
            json!({"dryrun":true}),
            json!({"dryRun":"true"}),
            json!({"accounts":"111122223333"}),
            json!({"accounts":["1111"]}),
            json!({"accounts":["*","111122223333"]}),
            json!({"accounts":[]}),
            json!({"regions":["not a region"]}),
            json!({"stackName":""}),
            json!({"cursor":"zz"}),
            json!({"cursor":7}),
            json!([]),
        ] {
            assert!(SweepRequest::parse(sweep.clone()).is_err(), "{sweep}");
        }
    }

    #[test]
    fn a_cursor_resumes_only_the_sweep_it_came_from() {
        let request = SweepRequest::parse(json!({"dryRun":true,"stackName":"a-*"})).unwrap();
        let cursor = Cursor {
            id: "sweep-1".into(),
            request: request.fingerprint(),
            scope: 1,
            after: Some("arn:x".into()),
            totals: Totals::default(),
        };
        let resumed = request.resumed_at(&cursor);
        let again = SweepRequest::parse(resumed["sweep"].clone()).unwrap();
        assert_eq!(again.cursor, Some(cursor.clone()));
        let mut other = resumed["sweep"].clone();
        other["stackName"] = json!("b-*");
        let refused = SweepRequest::parse(other).unwrap_err();
        assert!(refused.contains("other fields"), "{refused}");
    }
}
