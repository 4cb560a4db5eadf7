//! Which Service Catalog product, artifact and provisioned product name a stack is imported as:
//! manual request fields > stack tags > the first matching `IMPORT_RULES` rule (docs/CONTRACT.md §2).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::decision::{Reason, Verdict};
use crate::ids::{ArtifactId, InvalidId, ProductId, ProvisionedProductName};
use crate::outcome::Target;
use crate::stack::Stack;
use crate::text::glob_matches;

/// The routing fields one source (request, tags or rule) may give, each parsed. Each is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteFields {
    pub product_id: Option<ProductId>,
    pub provisioning_artifact_id: Option<ArtifactId>,
    pub provisioned_product_name: Option<ProvisionedProductName>,
    /// Whether a stack that matches none of the product's artifacts gets a version made from it (docs/CONTRACT.md
    /// §9): rule `newVersion`, tag `new-version`. Absent: `NEW_VERSION_ON_MISMATCH` decides.
    pub new_version: Option<bool>,
}

impl RouteFields {
    /// Parses whatever fields are present; `source` names where they came from in the message.
    pub fn parse(
        product_id: Option<&str>,
        provisioning_artifact_id: Option<&str>,
        provisioned_product_name: Option<&str>,
        source: &str,
    ) -> Result<Self, String> {
        let in_source = |error: InvalidId| format!("{source}: {error}");
        Ok(Self {
            product_id: product_id.map(ProductId::parse).transpose().map_err(in_source)?,
            provisioning_artifact_id: provisioning_artifact_id.map(ArtifactId::parse).transpose().map_err(in_source)?,
            provisioned_product_name: provisioned_product_name
                .map(ProvisionedProductName::parse)
                .transpose()
                .map_err(in_source)?,
            new_version: None,
        })
    }
}

/// One `IMPORT_RULES` entry as written. Unknown fields are refused: a typo must not silently route nothing.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RuleSpec {
    #[serde(default)]
    stack_name: Option<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    product_id: String,
    #[serde(default)]
    provisioning_artifact_id: Option<String>,
    #[serde(default)]
    provisioned_product_name: Option<String>,
    #[serde(default)]
    new_version: Option<bool>,
}

/// One `IMPORT_RULES` entry, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingRule {
    /// Glob over the stack name: `*` any run of characters, `?` one character. Absent: every stack.
    pub stack_name: Option<String>,
    /// Globs over the stack's account and region (docs/CONTRACT.md §8). Absent: any.
    pub account: Option<String>,
    pub region: Option<String>,
    /// Every listed tag must be on the stack with this value; `"*"` accepts any value.
    pub tags: BTreeMap<String, String>,
    /// The rule's product is always set.
    pub fields: RouteFields,
}

impl RoutingRule {
    /// Parses `IMPORT_RULES`; the error says which rule and field is wrong.
    pub fn parse_all(json: &str) -> Result<Vec<RoutingRule>, String> {
        let specs: Vec<RuleSpec> = serde_json::from_str(json).map_err(|e| format!("not a JSON list of rules: {e}"))?;
        specs
            .into_iter()
            .enumerate()
            .map(|(index, spec)| {
                let fields = RouteFields {
                    new_version: spec.new_version,
                    ..RouteFields::parse(
                        Some(&spec.product_id),
                        spec.provisioning_artifact_id.as_deref(),
                        spec.provisioned_product_name.as_deref(),
                        &format!("rule {index}"),
                    )?
                };
                Ok(RoutingRule {
                    stack_name: spec.stack_name,
                    account: spec.account,
                    region: spec.region,
                    tags: spec.tags,
                    fields,
                })
            })
            .collect()
    }

    pub fn matches(&self, stack: &Stack) -> bool {
        let glob = |pattern: &Option<String>, text: &str| pattern.as_deref().is_none_or(|p| glob_matches(p, text));
        glob(&self.stack_name, stack.name().as_str())
            && glob(&self.account, stack.arn.account().as_str())
            && glob(&self.region, stack.arn.region().as_str())
            && self
                .tags
                .iter()
                .all(|(key, wanted)| stack.tag(key).is_some_and(|value| wanted == "*" || value == wanted))
    }
}

/// Where a route's product came from, for the outcome message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteSource {
    Request,
    Tags,
    Rule(usize),
    /// No request, tag or rule: the stack's template matched one product's artifact (docs/CONTRACT.md §9).
    Discovered,
}

impl fmt::Display for RouteSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteSource::Request => f.write_str("the request"),
            RouteSource::Tags => f.write_str("the stack's tags"),
            RouteSource::Rule(index) => write!(f, "IMPORT_RULES rule {index}"),
            RouteSource::Discovered => f.write_str("its template: discovered"),
        }
    }
}

/// Where a stack goes: the product, maybe the artifact (absent: the active artifact whose template matches),
/// and the provisioned product name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub product_id: ProductId,
    pub provisioning_artifact_id: Option<ArtifactId>,
    pub provisioned_product_name: ProvisionedProductName,
    pub source: RouteSource,
    /// What the sources say about making a version from the stack; absent: the `NEW_VERSION_ON_MISMATCH` default.
    pub new_version: Option<bool>,
}

impl Route {
    /// What the outcome says of the route before an artifact was matched.
    pub fn target(&self) -> Target {
        Target {
            product_id: self.product_id.clone(),
            provisioning_artifact_id: self.provisioning_artifact_id.clone(),
            provisioned_product_name: self.provisioned_product_name.clone(),
            version_created: false,
        }
    }
}

/// The routing fields the stack's tags give (`<prefix>product-id`, …); a malformed value is an error naming the tags.
pub fn tag_fields(stack: &Stack, tag_prefix: &str) -> Result<RouteFields, String> {
    let tag = |suffix: &str| stack.tag(&format!("{tag_prefix}{suffix}")).map(str::trim);
    let new_version = match tag("new-version").map(str::to_ascii_lowercase).as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(format!(
                "stack tags: {tag_prefix}new-version is {:?}, neither true nor false",
                crate::text::truncate(other, 40)
            ));
        }
    };
    let fields = RouteFields::parse(
        tag("product-id"),
        tag("provisioning-artifact-id"),
        tag("provisioned-product-name"),
        "stack tags",
    )?;
    Ok(RouteFields { new_version, ..fields })
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
    let tags = tag_fields(stack, tag_prefix).map_err(|message| Verdict::new(Reason::InvalidRequest, message))?;
    let mut sources = vec![(RouteSource::Request, request), (RouteSource::Tags, &tags)];
    if let Some((index, rule)) = rules.iter().enumerate().find(|(_, rule)| rule.matches(stack)) {
        sources.push((RouteSource::Rule(index), &rule.fields));
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
    let provisioned_product_name =
        name_or_stack_name(sources.iter().find_map(|(_, fields)| fields.provisioned_product_name.clone()), stack)?;
    let new_version = sources.iter().find_map(|(_, fields)| fields.new_version);
    Ok(Some(Route { product_id, provisioning_artifact_id, provisioned_product_name, source, new_version }))
}

/// The route of a stack discovered by its template: the product and artifact found, under the name the request or
/// the tags give, or else the stack's own name.
pub fn discovered(
    request: &RouteFields,
    stack: &Stack,
    tag_prefix: &str,
    product_id: ProductId,
    artifact: ArtifactId,
) -> Result<Route, Verdict> {
    let tags = tag_fields(stack, tag_prefix).map_err(|message| Verdict::new(Reason::InvalidRequest, message))?;
    let provisioned_product_name =
        name_or_stack_name(request.provisioned_product_name.clone().or(tags.provisioned_product_name), stack)?;
    Ok(Route {
        product_id,
        provisioning_artifact_id: Some(artifact),
        provisioned_product_name,
        source: RouteSource::Discovered,
        new_version: None,
    })
}

/// The provisioned product name a source gave, or else the stack's own.
fn name_or_stack_name(given: Option<ProvisionedProductName>, stack: &Stack) -> Result<ProvisionedProductName, Verdict> {
    match given {
        Some(name) => Ok(name),
        // A stack name is always a valid provisioned product name (a letter, then letters, digits and hyphens).
        None => ProvisionedProductName::parse(stack.name().as_str())
            .map_err(|error| Verdict::new(Reason::InvalidRequest, error.to_string())),
    }
}

/// The outcome of a stack that nothing routes.
pub fn no_route(stack: &Stack, tag_prefix: &str) -> Verdict {
    Verdict::new(
        Reason::NoRoute,
        format!(
            "no product for stack {}: no {tag_prefix}product-id tag and no IMPORT_RULES rule matches",
            stack.name()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::StackArn;

    fn stack(name: &str, tags: &[(&str, &str)]) -> Stack {
        Stack {
            arn: StackArn::parse(&format!("arn:aws:cloudformation:us-east-1:111122223333:stack/{name}/uuid-1"))
                .unwrap(),
            status: crate::stack::StackStatus::new("CREATE_COMPLETE"),
            parent_id: None,
            changed_at: "t".into(),
            tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    fn rules(json: &str) -> Vec<RoutingRule> {
        RoutingRule::parse_all(json).unwrap()
    }

    fn fields(product: Option<&str>, artifact: Option<&str>, name: Option<&str>) -> RouteFields {
        RouteFields::parse(product, artifact, name, "test").unwrap()
    }

    #[test]
    fn a_stack_with_no_tags_and_no_matching_rule_has_no_route() {
        let rules = rules(r#"[{"stackName":"orders-*","productId":"prod-a"}]"#);
        assert_eq!(resolve(&RouteFields::default(), &stack("payments-api", &[]), "sc-import:", &rules), Ok(None));
    }

    #[test]
    fn a_rule_may_name_the_account_and_region_as_globs() {
        let rules = rules(
            r#"[{"account":"4444*","productId":"prod-member"},{"region":"eu-*","productId":"prod-europe"},
                {"productId":"prod-any"}]"#,
        );
        let product = |arn: &str| {
            let stack = Stack { arn: StackArn::parse(arn).unwrap(), ..stack("s", &[]) };
            resolve(&RouteFields::default(), &stack, "sc-import:", &rules).unwrap().unwrap().product_id.to_string()
        };
        assert_eq!(product("arn:aws:cloudformation:us-east-1:444455556666:stack/s/1"), "prod-member");
        assert_eq!(product("arn:aws:cloudformation:eu-west-1:111122223333:stack/s/1"), "prod-europe");
        assert_eq!(product("arn:aws:cloudformation:us-east-1:111122223333:stack/s/1"), "prod-any");
    }

    #[test]
    fn the_new_version_switch_comes_from_the_tag_before_the_rule() {
        let rules = rules(r#"[{"productId":"prod-rule","newVersion":true}]"#);
        let resolved = |tags: &[(&str, &str)]| {
            resolve(&RouteFields::default(), &stack("s", tags), "sc-import:", &rules)
                .map(|route| route.unwrap().new_version)
        };
        assert_eq!(resolved(&[]), Ok(Some(true)));
        assert_eq!(resolved(&[("sc-import:new-version", "FALSE")]), Ok(Some(false)));
        let refused = resolved(&[("sc-import:new-version", "maybe")]).unwrap_err();
        assert_eq!(refused.reason, Reason::InvalidRequest);
        assert!(refused.message.contains("sc-import:new-version"), "{}", refused.message);
        let no_rule =
            resolve(&RouteFields::default(), &stack("s", &[("sc-import:product-id", "prod-t")]), "sc-import:", &[]);
        assert_eq!(no_rule.unwrap().unwrap().new_version, None);
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
        assert_eq!(route.product_id.as_str(), "prod-tag");
        // The rule's artifact belongs to the rule's product, not to the tag's.
        assert_eq!(route.provisioning_artifact_id, None);
        assert_eq!(route.provisioned_product_name.as_str(), "from-tag");
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
        assert_eq!(route.provisioning_artifact_id.as_ref().map(ArtifactId::as_str), Some("pa-rule"));
    }

    #[test]
    fn the_request_may_pin_only_the_artifact() {
        let tagged =
            stack("x", &[("sc-import:product-id", "prod-tag"), ("sc-import:provisioning-artifact-id", "pa-tag")]);
        let route = resolve(&fields(None, Some("pa-req"), None), &tagged, "sc-import:", &[]).unwrap().unwrap();
        assert_eq!(
            (route.product_id.as_str(), route.provisioning_artifact_id.as_ref().map(ArtifactId::as_str)),
            ("prod-tag", Some("pa-req"))
        );
    }

    #[test]
    fn the_provisioned_product_name_defaults_to_the_stack_name() {
        let tagged = stack("payments-api", &[("sc-import:product-id", "prod-a")]);
        let route = resolve(&RouteFields::default(), &tagged, "sc-import:", &[]).unwrap().unwrap();
        assert_eq!(route.provisioned_product_name.as_str(), "payments-api");
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
    fn malformed_rules_are_refused_naming_the_rule() {
        assert!(RoutingRule::parse_all("{}").is_err());
        assert!(RoutingRule::parse_all(r#"[{"stackName":"x"}]"#).unwrap_err().contains("productId"));
        assert!(RoutingRule::parse_all(r#"[{"productId":"prod-a","prodcutId":"typo"}]"#).is_err());
        let error = RoutingRule::parse_all(r#"[{"productId":"prod-a"},{"productId":"bad id"}]"#).unwrap_err();
        assert!(error.starts_with("rule 1"), "{error}");
    }
}
