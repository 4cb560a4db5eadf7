//! Which Service Catalog product, artifact and provisioned product name a stack is imported as:
//! manual request fields > stack tags > the first matching `IMPORT_RULES` rule (CONTRACT.md §2).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::outcome::{Reason, Target, Verdict};
use crate::stack::Stack;

/// Service Catalog ids (`prod-…`, `pa-…`) are 1–100 characters of `[a-zA-Z0-9_-]`.
pub fn validate_catalog_id(field: &str, value: &str) -> Result<(), String> {
    let ok = !value.is_empty()
        && value.len() <= 100
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{field} {:?} is not a Service Catalog id ([a-zA-Z0-9_-], 1–100)",
            crate::stack::truncate(value, 120)
        ))
    }
}

/// Service Catalog's provisioned product name pattern: `[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}`.
pub fn validate_provisioned_product_name(value: &str) -> Result<(), String> {
    let mut chars = value.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && value.len() <= 128;
    if ok {
        Ok(())
    } else {
        Err(format!(
            "provisioned product name {:?} does not match [a-zA-Z0-9][a-zA-Z0-9._-]{{0,127}}",
            crate::stack::truncate(value, 140)
        ))
    }
}

/// The routing fields one source (request, tags or rule) may give. Each is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteFields {
    pub product_id: Option<String>,
    pub provisioning_artifact_id: Option<String>,
    pub provisioned_product_name: Option<String>,
}

impl RouteFields {
    /// Checks the formats of whatever fields are present; `source` names where they came from in the message.
    pub fn validate(&self, source: &str) -> Result<(), String> {
        let in_source = |error: String| format!("{source}: {error}");
        if let Some(id) = &self.product_id {
            validate_catalog_id("productId", id).map_err(in_source)?;
        }
        if let Some(id) = &self.provisioning_artifact_id {
            validate_catalog_id("provisioningArtifactId", id).map_err(in_source)?;
        }
        if let Some(name) = &self.provisioned_product_name {
            validate_provisioned_product_name(name).map_err(in_source)?;
        }
        Ok(())
    }
}

/// One `IMPORT_RULES` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoutingRule {
    /// Glob over the stack name: `*` any run of characters, `?` one character. Absent: every stack.
    #[serde(default)]
    pub stack_name: Option<String>,
    /// Every listed tag must be on the stack with this value; `"*"` accepts any value.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    pub product_id: String,
    #[serde(default)]
    pub provisioning_artifact_id: Option<String>,
    #[serde(default)]
    pub provisioned_product_name: Option<String>,
}

impl RoutingRule {
    /// Parses and validates `IMPORT_RULES`; the error says which rule and field is wrong.
    pub fn parse_all(json: &str) -> Result<Vec<RoutingRule>, String> {
        let rules: Vec<RoutingRule> =
            serde_json::from_str(json).map_err(|e| format!("not a JSON list of rules: {e}"))?;
        for (index, rule) in rules.iter().enumerate() {
            rule.fields().validate(&format!("rule {index}"))?;
        }
        Ok(rules)
    }

    pub fn matches(&self, stack: &Stack) -> bool {
        let name_matches =
            self.stack_name.as_deref().is_none_or(|pattern| glob_matches(pattern, stack.name().as_str()));
        name_matches
            && self
                .tags
                .iter()
                .all(|(key, wanted)| stack.tag(key).is_some_and(|value| wanted == "*" || value == wanted))
    }

    fn fields(&self) -> RouteFields {
        RouteFields {
            product_id: Some(self.product_id.clone()),
            provisioning_artifact_id: self.provisioning_artifact_id.clone(),
            provisioned_product_name: self.provisioned_product_name.clone(),
        }
    }
}

/// Where a route's product came from, for the outcome message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteSource {
    Request,
    Tags,
    Rule(usize),
}

impl fmt::Display for RouteSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteSource::Request => f.write_str("the request"),
            RouteSource::Tags => f.write_str("the stack's tags"),
            RouteSource::Rule(index) => write!(f, "IMPORT_RULES rule {index}"),
        }
    }
}

/// Where a stack goes: the product, maybe the artifact (absent: the active artifact whose template matches),
/// and the provisioned product name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub product_id: String,
    pub provisioning_artifact_id: Option<String>,
    pub provisioned_product_name: String,
    pub source: RouteSource,
}

impl Route {
    pub fn target(&self) -> Target {
        Target {
            product_id: self.product_id.clone(),
            provisioning_artifact_id: self.provisioning_artifact_id.clone(),
            provisioned_product_name: self.provisioned_product_name.clone(),
        }
    }
}

/// The routing fields the stack's tags give (`<prefix>product-id`, …).
pub fn tag_fields(stack: &Stack, tag_prefix: &str) -> RouteFields {
    let tag = |suffix: &str| stack.tag(&format!("{tag_prefix}{suffix}")).map(|value| value.trim().to_owned());
    RouteFields {
        product_id: tag("product-id"),
        provisioning_artifact_id: tag("provisioning-artifact-id"),
        provisioned_product_name: tag("provisioned-product-name"),
    }
}

/// Resolves the route. `Ok(None)`: nothing names a product for this stack (NO_ROUTE).
///
/// Each field comes from the highest-precedence source that gives it, except that an artifact id is only taken from
/// a source that names no product or the chosen one: a rule's artifact belongs to the rule's product.
pub fn resolve(
    request: &RouteFields,
    stack: &Stack,
    tag_prefix: &str,
    rules: &[RoutingRule],
) -> Result<Option<Route>, Verdict> {
    let tags = tag_fields(stack, tag_prefix);
    tags.validate("stack tags").map_err(|message| Verdict::new(Reason::InvalidRequest, message))?;
    let rule = rules.iter().enumerate().find(|(_, rule)| rule.matches(stack));
    let rule_fields = rule.map(|(_, rule)| rule.fields());

    let mut sources = vec![(RouteSource::Request, request), (RouteSource::Tags, &tags)];
    if let (Some((index, _)), Some(fields)) = (rule, rule_fields.as_ref()) {
        sources.push((RouteSource::Rule(index), fields));
    }

    let Some((source, product_id)) =
        sources.iter().find_map(|(source, fields)| fields.product_id.clone().map(|product| (source.clone(), product)))
    else {
        return Ok(None);
    };
    let provisioning_artifact_id = sources.iter().find_map(|(_, fields)| {
        let same_product = fields.product_id.as_ref().is_none_or(|product| *product == product_id);
        fields.provisioning_artifact_id.clone().filter(|_| same_product)
    });
    let provisioned_product_name = sources
        .iter()
        .find_map(|(_, fields)| fields.provisioned_product_name.clone())
        .unwrap_or_else(|| stack.name().to_string());
    validate_provisioned_product_name(&provisioned_product_name)
        .map_err(|message| Verdict::new(Reason::InvalidRequest, message))?;
    Ok(Some(Route { product_id, provisioning_artifact_id, provisioned_product_name, source }))
}

/// Shell-style glob over the whole text: `*` any run (also empty), `?` exactly one character; case-sensitive.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it currently stands for up to: linear backtracking.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::StackArn;

    fn stack(name: &str, tags: &[(&str, &str)]) -> Stack {
        Stack {
            arn: StackArn::parse(&format!("arn:aws:cloudformation:us-east-1:111122223333:stack/{name}/uuid-1"))
                .unwrap(),
            status: "CREATE_COMPLETE".into(),
            parent_id: None,
            changed_at: "t".into(),
            tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    fn rules(json: &str) -> Vec<RoutingRule> {
        RoutingRule::parse_all(json).unwrap()
    }

    fn fields(product: Option<&str>, artifact: Option<&str>, name: Option<&str>) -> RouteFields {
        RouteFields {
            product_id: product.map(Into::into),
            provisioning_artifact_id: artifact.map(Into::into),
            provisioned_product_name: name.map(Into::into),
        }
    }

    #[test]
    fn globs_match_whole_names() {
        assert!(glob_matches("payments-*", "payments-api"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a?c", "abc"));
        assert!(!glob_matches("a?c", "ac"));
        assert!(glob_matches("*-api-*", "x-api-y-api-z"));
        assert!(!glob_matches("payments", "payments-api"));
        assert!(!glob_matches("Payments-*", "payments-api"));
        assert!(glob_matches("a**b", "ab"));
    }

    #[test]
    fn a_pathological_glob_finishes_quickly() {
        let text = "a".repeat(2000);
        assert!(!glob_matches(&format!("{}b", "*a".repeat(50)), &text));
    }

    #[test]
    fn a_stack_with_no_tags_and_no_matching_rule_has_no_route() {
        let rules = rules(r#"[{"stackName":"orders-*","productId":"prod-a"}]"#);
        assert_eq!(resolve(&RouteFields::default(), &stack("payments-api", &[]), "sc-import:", &rules), Ok(None));
    }

    #[test]
    fn the_first_matching_rule_wins() {
        let rules = rules(
            r#"[{"stackName":"payments-*","tags":{"team":"payments"},"productId":"prod-a","provisioningArtifactId":"pa-a"},
                {"stackName":"payments-*","productId":"prod-b"}]"#,
        );
        let tagged = stack("payments-api", &[("team", "payments")]);
        let route = resolve(&RouteFields::default(), &tagged, "sc-import:", &rules).unwrap().unwrap();
        assert_eq!((route.product_id.as_str(), route.source), ("prod-a", RouteSource::Rule(0)));
        let untagged = stack("payments-api", &[("team", "orders")]);
        let route = resolve(&RouteFields::default(), &untagged, "sc-import:", &rules).unwrap().unwrap();
        assert_eq!((route.product_id.as_str(), route.provisioning_artifact_id), ("prod-b", None));
    }

    #[test]
    fn a_star_tag_value_matches_any_value_but_requires_the_tag() {
        let rules = rules(r#"[{"tags":{"cost-center":"*"},"productId":"prod-a"}]"#);
        assert!(
            resolve(&RouteFields::default(), &stack("x", &[("cost-center", "42")]), "sc-import:", &rules)
                .unwrap()
                .is_some()
        );
        assert!(resolve(&RouteFields::default(), &stack("x", &[]), "sc-import:", &rules).unwrap().is_none());
    }

    #[test]
    fn tags_take_precedence_over_rules_and_the_request_over_tags() {
        let rules = rules(r#"[{"productId":"prod-rule","provisioningArtifactId":"pa-rule"}]"#);
        let tagged = stack(
            "payments-api",
            &[("sc-import:product-id", "prod-tag"), ("sc-import:provisioned-product-name", "from-tag")],
        );
        let route = resolve(&RouteFields::default(), &tagged, "sc-import:", &rules).unwrap().unwrap();
        assert_eq!(route.product_id, "prod-tag");
        // The rule's artifact belongs to the rule's product, not to the tag's.
        assert_eq!(route.provisioning_artifact_id, None);
        assert_eq!(route.provisioned_product_name, "from-tag");
        assert_eq!(route.source, RouteSource::Tags);

        let request = fields(Some("prod-req"), None, Some("from-request"));
        let route = resolve(&request, &tagged, "sc-import:", &rules).unwrap().unwrap();
        assert_eq!((route.product_id.as_str(), route.provisioned_product_name.as_str()), ("prod-req", "from-request"));
        assert_eq!(route.source, RouteSource::Request);
    }

    #[test]
    fn an_artifact_of_the_same_product_is_kept_from_a_lower_source() {
        let rules = rules(r#"[{"productId":"prod-a","provisioningArtifactId":"pa-rule"}]"#);
        let request = fields(Some("prod-a"), None, None);
        let route = resolve(&request, &stack("x", &[]), "sc-import:", &rules).unwrap().unwrap();
        assert_eq!(route.provisioning_artifact_id.as_deref(), Some("pa-rule"));
    }

    #[test]
    fn the_request_may_pin_only_the_artifact() {
        let tagged =
            stack("x", &[("sc-import:product-id", "prod-tag"), ("sc-import:provisioning-artifact-id", "pa-tag")]);
        let route = resolve(&fields(None, Some("pa-req"), None), &tagged, "sc-import:", &[]).unwrap().unwrap();
        assert_eq!(
            (route.product_id.as_str(), route.provisioning_artifact_id.as_deref()),
            ("prod-tag", Some("pa-req"))
        );
    }

    #[test]
    fn the_provisioned_product_name_defaults_to_the_stack_name() {
        let tagged = stack("payments-api", &[("sc-import:product-id", "prod-a")]);
        let route = resolve(&RouteFields::default(), &tagged, "sc-import:", &[]).unwrap().unwrap();
        assert_eq!(route.provisioned_product_name, "payments-api");
    }

    #[test]
    fn a_malformed_tag_value_is_an_invalid_request() {
        let tagged = stack("x", &[("sc-import:product-id", "prod a/b")]);
        let verdict = resolve(&RouteFields::default(), &tagged, "sc-import:", &[]).unwrap_err();
        assert_eq!(verdict.reason, Reason::InvalidRequest);
        assert!(verdict.message.contains("stack tags"), "{}", verdict.message);
        let named = stack("x", &[("sc-import:product-id", "prod-a"), ("sc-import:provisioned-product-name", "-bad")]);
        assert_eq!(
            resolve(&RouteFields::default(), &named, "sc-import:", &[]).unwrap_err().reason,
            Reason::InvalidRequest
        );
    }

    #[test]
    fn provisioned_product_names_follow_service_catalog_rules() {
        assert!(validate_provisioned_product_name("payments.api_v2-x").is_ok());
        assert!(validate_provisioned_product_name(&"a".repeat(128)).is_ok());
        assert!(validate_provisioned_product_name(&"a".repeat(129)).is_err());
        assert!(validate_provisioned_product_name("_x").is_err());
        assert!(validate_provisioned_product_name("").is_err());
        assert!(validate_provisioned_product_name("a b").is_err());
    }

    #[test]
    fn malformed_rules_are_refused_naming_the_rule() {
        assert!(RoutingRule::parse_all("{}").is_err());
        assert!(RoutingRule::parse_all(r#"[{"stackName":"x"}]"#).unwrap_err().contains("productId"));
        assert!(RoutingRule::parse_all(r#"[{"productId":"prod-a","prodcutId":"typo"}]"#).is_err());
        let error = RoutingRule::parse_all(r#"[{"productId":"prod-a"},{"productId":"bad id"}]"#).unwrap_err();
        assert!(error.starts_with("rule 1"), "{error}");
    }
}
