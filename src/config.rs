//! The function's configuration (docs/CONTRACT.md §2), read once at init. The only reader of `std::env`.

use crate::routing::RoutingRule;
use crate::url_allow::UrlAllowList;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

/// The languages Service Catalog answers in (`AcceptLanguage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptLanguage {
    En,
    Jp,
    Zh,
}

impl AcceptLanguage {
    pub fn as_str(self) -> &'static str {
        match self {
            AcceptLanguage::En => "en",
            AcceptLanguage::Jp => "jp",
            AcceptLanguage::Zh => "zh",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub outcome_topic_arn: Option<String>,
    pub outcome_event_bus: Option<String>,
    pub outcome_event_source: String,
    pub tag_prefix: String,
    pub rules: Vec<RoutingRule>,
    pub dry_run: bool,
    pub accept_language: AcceptLanguage,
    /// Where artifact templates may be read from (`TEMPLATE_URL_ALLOW`).
    pub template_url_allow: UrlAllowList,
    /// `AWS_LAMBDA_FUNCTION_NAME`, which Lambda sets: the `Function` dimension of the outcome metrics.
    pub function_name: String,
    /// Lambda sets `AWS_LAMBDA_LOG_FORMAT=JSON` when the function's LoggingConfig asks for JSON logs.
    pub json_logs: bool,
    /// The FIFO import queue (`IMPORT_QUEUE_URL`, docs/CONTRACT.md §7); unset: every input is decided where it arrives.
    pub import_queue_url: Option<String>,
    /// The role assumed in member accounts (`MEMBER_ROLE_NAME`, docs/CONTRACT.md §8); unset: only the own account.
    pub member_role_name: Option<String>,
    /// `MEMBER_ROLE_EXTERNAL_ID`, passed to AssumeRole when set.
    pub member_role_external_id: Option<String>,
    /// `DISCOVERY=on` (docs/CONTRACT.md §9): a stack nothing routes is matched by its template.
    pub discovery: bool,
    /// `NEW_VERSION_ON_MISMATCH=on` (docs/CONTRACT.md §9): a routed stack that matches no artifact gets a version
    /// made from it; rules and tags may turn it off per stack.
    pub new_version_on_mismatch: bool,
    /// `ARTIFACT_INDEX_TABLE`: the DynamoDB table that keeps artifact fingerprints across cold starts; unset: they
    /// are kept in memory only.
    pub artifact_index_table: Option<String>,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup`. An empty value counts as unset: SAM passes empty optional parameters
    /// through as empty strings.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |name: &str| lookup(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
        let invalid = |variable: &'static str, problem: String| ConfigError { variable, problem };

        let outcome_topic_arn = read("OUTCOME_TOPIC_ARN");
        if let Some(arn) = &outcome_topic_arn {
            check_arn(arn, "sns").map_err(|problem| invalid("OUTCOME_TOPIC_ARN", problem))?;
        }
        let outcome_event_bus = read("OUTCOME_EVENT_BUS");
        if let Some(bus) = &outcome_event_bus {
            check_event_bus(bus).map_err(|problem| invalid("OUTCOME_EVENT_BUS", problem))?;
        }
        let outcome_event_source = read("OUTCOME_EVENT_SOURCE").unwrap_or_else(|| "sc-stack-importer".to_owned());
        check_event_source(&outcome_event_source).map_err(|problem| invalid("OUTCOME_EVENT_SOURCE", problem))?;
        let tag_prefix = read("IMPORT_TAG_PREFIX").unwrap_or_else(|| "sc-import:".to_owned());
        // Tag keys are at most 128 characters; the longest suffix is `provisioning-artifact-id` (24).
        if tag_prefix.chars().count() > 128 - 24 {
            return Err(invalid("IMPORT_TAG_PREFIX", "longer than 104 characters".into()));
        }
        let rules = match read("IMPORT_RULES") {
            Some(json) => RoutingRule::parse_all(&json).map_err(|problem| invalid("IMPORT_RULES", problem))?,
            None => Vec::new(),
        };
        let dry_run = match read("DRY_RUN").map(|value| value.to_ascii_lowercase()).as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => return Err(invalid("DRY_RUN", format!("{other:?} is neither true nor false"))),
        };
        let switch = |variable: &'static str| match read(variable).map(|value| value.to_ascii_lowercase()).as_deref() {
            None | Some("off") => Ok(false),
            Some("on") => Ok(true),
            Some(other) => Err(invalid(variable, format!("{other:?} is neither on nor off"))),
        };
        let discovery = switch("DISCOVERY")?;
        let new_version_on_mismatch = switch("NEW_VERSION_ON_MISMATCH")?;
        // The role has servicecatalog:CreateProvisioningArtifact only when the switch is on (template.yaml): a rule
        // asking for versions without it would fail every such stack with ACCESS_DENIED.
        if !new_version_on_mismatch
            && let Some(index) = rules.iter().position(|rule| rule.fields.new_version == Some(true))
        {
            return Err(invalid(
                "IMPORT_RULES",
                format!("rule {index} sets newVersion, which needs NEW_VERSION_ON_MISMATCH=on"),
            ));
        }
        let artifact_index_table = read("ARTIFACT_INDEX_TABLE");
        if let Some(table) = &artifact_index_table {
            check_table_name(table).map_err(|problem| invalid("ARTIFACT_INDEX_TABLE", problem))?;
        }
        let accept_language = match read("ACCEPT_LANGUAGE").as_deref() {
            None | Some("en") => AcceptLanguage::En,
            Some("jp") => AcceptLanguage::Jp,
            Some("zh") => AcceptLanguage::Zh,
            Some(other) => return Err(invalid("ACCEPT_LANGUAGE", format!("{other:?} is not en, jp or zh"))),
        };
        let template_url_allow = match read("TEMPLATE_URL_ALLOW") {
            Some(list) => UrlAllowList::parse(&list).map_err(|problem| invalid("TEMPLATE_URL_ALLOW", problem))?,
            None => UrlAllowList::default(),
        };
        let function_name = read("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| "sc-stack-importer".to_owned());
        let json_logs = read("AWS_LAMBDA_LOG_FORMAT").is_some_and(|format| format.eq_ignore_ascii_case("json"));
        let import_queue_url = read("IMPORT_QUEUE_URL");
        if let Some(url) = &import_queue_url {
            check_fifo_queue_url(url).map_err(|problem| invalid("IMPORT_QUEUE_URL", problem))?;
        }
        let member_role_name = read("MEMBER_ROLE_NAME");
        if let Some(name) = &member_role_name {
            check_chars(name, 1, 64, "+=,.@_-").map_err(|problem| invalid("MEMBER_ROLE_NAME", problem))?;
        }
        let member_role_external_id = read("MEMBER_ROLE_EXTERNAL_ID");
        if let Some(id) = &member_role_external_id {
            check_chars(id, 2, 1224, "+=,.@:/_-").map_err(|problem| invalid("MEMBER_ROLE_EXTERNAL_ID", problem))?;
            if member_role_name.is_none() {
                return Err(invalid("MEMBER_ROLE_EXTERNAL_ID", "set without MEMBER_ROLE_NAME".into()));
            }
        }
        Ok(Self {
            discovery,
            new_version_on_mismatch,
            artifact_index_table,
            import_queue_url,
            member_role_name,
            member_role_external_id,
            outcome_topic_arn,
            outcome_event_bus,
            outcome_event_source,
            tag_prefix,
            rules,
            dry_run,
            accept_language,
            template_url_allow,
            function_name,
            json_logs,
        })
    }
}

/// Between `min` and `max` characters, each a letter, a digit or one of `others` (IAM's rules for role names and
/// external ids).
fn check_chars(value: &str, min: usize, max: usize, others: &str) -> Result<(), String> {
    let length = value.chars().count();
    if length < min || length > max || !value.chars().all(|c| c.is_ascii_alphanumeric() || others.contains(c)) {
        return Err(format!(
            "{:?} is not {min} to {max} letters, digits or {others}",
            crate::text::truncate(value, 80)
        ));
    }
    Ok(())
}

/// A DynamoDB table name (3 to 255 letters, digits, `_`, `-` or `.`) or table ARN.
fn check_table_name(table: &str) -> Result<(), String> {
    if table.starts_with("arn:") {
        check_arn(table, "dynamodb")?;
        return if table.contains(":table/") { Ok(()) } else { Err(format!("{table:?} is not a table ARN")) };
    }
    check_chars(table, 3, 255, "_-.")
}

/// A queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>.fifo`, or a local endpoint's) of a FIFO
/// queue: only FIFO message groups serialize imports per account and region.
fn check_fifo_queue_url(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let name = rest.and_then(|rest| rest.rsplit_once('/')).map(|(_, name)| name).unwrap_or_default();
    if rest.is_none() || !name.ends_with(".fifo") || url.chars().any(char::is_whitespace) {
        return Err(format!(
            "{:?} is not the URL of a FIFO queue (https://sqs.<region>.amazonaws.com/<account>/<name>.fifo)",
            crate::text::truncate(url, 200)
        ));
    }
    Ok(())
}

/// The Runtime API address Lambda gives the process (`AWS_LAMBDA_RUNTIME_API`), where an init failure is reported.
pub fn runtime_api_address() -> Option<String> {
    std::env::var("AWS_LAMBDA_RUNTIME_API").ok().filter(|address| !address.trim().is_empty())
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>` with every part present.
fn check_arn(arn: &str, service: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, found, region, account, resource]
            if partition.starts_with("aws")
                && *found == service
                && !region.is_empty()
                && account.len() == 12
                && account.chars().all(|c| c.is_ascii_digit())
                && !resource.is_empty() =>
        {
            Ok(())
        }
        _ => Err(format!("{arn:?} is not an {service} ARN (arn:aws:{service}:<region>:<account>:<name>)")),
    }
}

/// A bus name (`[/.\-_A-Za-z0-9]{1,256}`) or a bus ARN (`arn:…:events:<region>:<account>:event-bus/<name>`).
fn check_event_bus(bus: &str) -> Result<(), String> {
    if bus.starts_with("arn:") {
        check_arn(bus, "events")?;
        return if bus.contains(":event-bus/") { Ok(()) } else { Err(format!("{bus:?} is not an event bus ARN")) };
    }
    let valid_name = bus.len() <= 256 && bus.chars().all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c));
    if valid_name { Ok(()) } else { Err(format!("{bus:?} is not an event bus name or ARN")) }
}

/// EventBridge refuses `PutEvents` entries whose source starts with `aws.`; sources are at most 256 characters.
fn check_event_source(source: &str) -> Result<(), String> {
    if source.starts_with("aws.") {
        Err(format!("{source:?}: sources starting with \"aws.\" are reserved for AWS services"))
    } else if source.len() > 256 {
        Err("longer than 256 characters".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn nothing_set_gives_the_contract_defaults() {
        let config = config(&[]).unwrap();
        assert_eq!(config.outcome_topic_arn, None);
        assert_eq!(config.outcome_event_bus, None);
        assert_eq!(config.outcome_event_source, "sc-stack-importer");
        assert_eq!(config.tag_prefix, "sc-import:");
        assert!(config.rules.is_empty());
        assert!(!config.dry_run);
        assert_eq!(config.accept_language, AcceptLanguage::En);
        assert_eq!(config.template_url_allow.to_string(), "https://*.amazonaws.com:443,https://*.amazonaws.com.cn:443");
        assert_eq!(config.import_queue_url, None);
        assert!(!config.discovery && !config.new_version_on_mismatch);
        assert_eq!(config.artifact_index_table, None);
    }

    #[test]
    fn empty_values_count_as_unset() {
        let config =
            config(&[("OUTCOME_TOPIC_ARN", ""), ("OUTCOME_EVENT_BUS", " "), ("IMPORT_RULES", ""), ("DRY_RUN", "")])
                .unwrap();
        assert_eq!((config.outcome_topic_arn, config.outcome_event_bus, config.dry_run), (None, None, false));
    }

    #[test]
    fn every_variable_is_read() {
        let config = config(&[
            ("OUTCOME_TOPIC_ARN", "arn:aws:sns:us-east-1:111122223333:outcomes"),
            ("OUTCOME_EVENT_BUS", "arn:aws:events:us-east-1:111122223333:event-bus/platform"),
            ("OUTCOME_EVENT_SOURCE", "platform.importer"),
            ("IMPORT_TAG_PREFIX", "platform/"),
            ("IMPORT_RULES", r#"[{"stackName":"payments-*","productId":"prod-abcdefghijklm"}]"#),
            ("DRY_RUN", "TRUE"),
            ("ACCEPT_LANGUAGE", "jp"),
            ("TEMPLATE_URL_ALLOW", "http://127.0.0.1:*"),
            ("IMPORT_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/111122223333/imports.fifo"),
            ("MEMBER_ROLE_NAME", "sc-stack-importer-member"),
            ("MEMBER_ROLE_EXTERNAL_ID", "platform-7f3e"),
            ("DISCOVERY", "on"),
            ("NEW_VERSION_ON_MISMATCH", "ON"),
            ("ARTIFACT_INDEX_TABLE", "sc-stack-importer-artifacts"),
        ])
        .unwrap();
        assert!(config.discovery && config.new_version_on_mismatch);
        assert_eq!(config.artifact_index_table.as_deref(), Some("sc-stack-importer-artifacts"));
        assert_eq!(config.member_role_name.as_deref(), Some("sc-stack-importer-member"));
        assert_eq!(config.member_role_external_id.as_deref(), Some("platform-7f3e"));
        assert_eq!(
            config.import_queue_url.as_deref(),
            Some("https://sqs.us-east-1.amazonaws.com/111122223333/imports.fifo")
        );
        assert_eq!(config.outcome_topic_arn.as_deref(), Some("arn:aws:sns:us-east-1:111122223333:outcomes"));
        assert_eq!(config.outcome_event_source, "platform.importer");
        assert_eq!(config.tag_prefix, "platform/");
        assert_eq!(config.rules.len(), 1);
        assert!(config.dry_run);
        assert_eq!(config.accept_language, AcceptLanguage::Jp);
        assert!(config.template_url_allow.allows("http", "127.0.0.1", Some(4566)));
    }

    #[test]
    fn a_malformed_value_names_its_variable() {
        for (variable, value) in [
            ("OUTCOME_TOPIC_ARN", "my-topic"),
            ("OUTCOME_TOPIC_ARN", "arn:aws:sqs:us-east-1:111122223333:q"),
            ("OUTCOME_EVENT_BUS", "bus with spaces"),
            ("OUTCOME_EVENT_BUS", "arn:aws:events:us-east-1:111122223333:rule/x"),
            ("OUTCOME_EVENT_SOURCE", "aws.cloudformation"),
            ("IMPORT_RULES", "{not json"),
            ("IMPORT_RULES", r#"[{"productId":"prod a"}]"#),
            ("DRY_RUN", "yes"),
            ("ACCEPT_LANGUAGE", "fr"),
            ("TEMPLATE_URL_ALLOW", "127.0.0.1"),
            ("IMPORT_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/111122223333/imports"),
            ("IMPORT_QUEUE_URL", "imports.fifo"),
            ("MEMBER_ROLE_NAME", "role/with/path"),
            ("MEMBER_ROLE_EXTERNAL_ID", "x"),
            ("DISCOVERY", "true"),
            ("NEW_VERSION_ON_MISMATCH", "yes"),
            ("ARTIFACT_INDEX_TABLE", "a table"),
            ("ARTIFACT_INDEX_TABLE", "arn:aws:dynamodb:us-east-1:111122223333:stream/x"),
            ("IMPORT_RULES", r#"[{"productId":"prod-abcdefghijklm","newVersion":true}]"#),
        ] {
            let error = config(&[(variable, value)]).unwrap_err();
            assert_eq!(error.variable, variable, "{value}");
            assert!(error.to_string().starts_with(&format!("invalid {variable}: ")), "{error}");
        }
    }

    #[test]
    fn a_rule_may_ask_for_new_versions_only_when_the_switch_is_on() {
        let rules = r#"[{"productId":"prod-abcdefghijklm","newVersion":true}]"#;
        let on = config(&[("IMPORT_RULES", rules), ("NEW_VERSION_ON_MISMATCH", "on")]).unwrap();
        assert_eq!(on.rules[0].fields.new_version, Some(true));
        let off = r#"[{"productId":"prod-abcdefghijklm","newVersion":false}]"#;
        assert_eq!(config(&[("IMPORT_RULES", off)]).unwrap().rules[0].fields.new_version, Some(false));
    }

    #[test]
    fn a_bus_may_be_given_by_name() {
        assert_eq!(
            config(&[("OUTCOME_EVENT_BUS", "platform-events")]).unwrap().outcome_event_bus.as_deref(),
            Some("platform-events")
        );
    }
}
