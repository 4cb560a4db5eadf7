//! Every catalog the emulator keeps: one per account and region, each created empty the first time a request acts in
//! its account and region, all with the same record step, strict-mode rules and artifact rules.

use std::collections::BTreeMap;
use std::time::Duration;

use super::state::{ArtifactRules, Catalog, CatalogRules, Scope, TemplateSource};

#[derive(Debug)]
pub struct Catalogs {
    catalogs: BTreeMap<Scope, Catalog>,
    record_step: Duration,
    rules: CatalogRules,
    artifact_rules: ArtifactRules,
}

impl Catalogs {
    pub fn new(record_step: Duration, rules: CatalogRules, artifact_rules: ArtifactRules) -> Self {
        Self { catalogs: BTreeMap::new(), record_step, rules, artifact_rules }
    }

    /// The catalog of `scope`'s account and region; an empty one the first time.
    pub fn of(&mut self, scope: &Scope) -> &mut Catalog {
        let (record_step, rules, artifact_rules) = (self.record_step, self.rules, self.artifact_rules);
        self.catalogs.entry(scope.clone()).or_insert_with(|| {
            Catalog::new(record_step, scope.clone()).with_rules(rules).with_artifact_rules(artifact_rules)
        })
    }

    /// The template kept by the artifact made from a stack with this id, in whichever account and region: artifact
    /// ids are unique, and the emulator serves such a template at a URL that names the artifact alone.
    pub fn kept_template(&self, artifact_id: &str) -> Option<&TemplateSource> {
        self.catalogs.values().find_map(|catalog| catalog.kept_template(artifact_id))
    }

    /// The accounts and regions that have a catalog, in order.
    pub fn scopes(&self) -> impl Iterator<Item = &Scope> {
        self.catalogs.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::fixtures::{STEP, new_product, stack_artifact, start};
    use crate::catalog::state::ProductRef;
    use crate::error::ErrorCode;

    #[test]
    fn each_account_and_region_has_its_own_catalog() {
        let mut catalogs = Catalogs::new(STEP, CatalogRules::default(), ArtifactRules::default());
        let home = Scope::new("111122223333", "us-east-1");
        let member = Scope::new("210987654321", "us-east-1");
        let elsewhere = Scope::new("111122223333", "eu-west-1");

        let product = catalogs.of(&home).create_product(new_product("payments", Some("token-1")), start());
        assert_eq!(product.arn, format!("arn:aws:catalog:us-east-1:111122223333:product/{}", product.id));
        for other in [&member, &elsewhere] {
            let error = catalogs.of(other).product(&ProductRef::Id(product.id.clone())).expect_err("not shared");
            assert_eq!(error.code, ErrorCode::ResourceNotFound, "{other}");
            let by_name = catalogs.of(other).product(&ProductRef::Name("payments".to_owned()));
            assert!(by_name.is_err(), "{other}");
        }
        assert!(catalogs.of(&home).product(&ProductRef::Id(product.id.clone())).is_ok());

        // The same idempotency token in another account or region creates a product of its own, with its ARN.
        let theirs = catalogs.of(&member).create_product(new_product("payments", Some("token-1")), start());
        assert_ne!(theirs.id, product.id);
        assert_eq!(theirs.arn, format!("arn:aws:catalog:us-east-1:210987654321:product/{}", theirs.id));
        let there = catalogs.of(&elsewhere).create_product(new_product("payments", Some("token-1")), start());
        assert_eq!(there.arn, format!("arn:aws:catalog:eu-west-1:111122223333:product/{}", there.id));

        let scopes: Vec<String> = catalogs.scopes().map(ToString::to_string).collect();
        assert_eq!(scopes, ["111122223333/eu-west-1", "111122223333/us-east-1", "210987654321/us-east-1"]);
    }

    #[test]
    fn a_kept_template_is_found_in_any_account_and_region() {
        let mut catalogs = Catalogs::new(STEP, CatalogRules::default(), ArtifactRules::default());
        let member = Scope::new("210987654321", "eu-west-1");
        let product = catalogs.of(&member).create_product(new_product("payments", None), start());
        let stack = "arn:aws:cloudformation:eu-west-1:210987654321:stack/payments-api/1";
        let made = catalogs
            .of(&member)
            .create_artifact(&ProductRef::Id(product.id), stack_artifact(Some("v2"), stack, "{}"), None, start())
            .expect("created");
        catalogs.of(&Scope::new("111122223333", "us-east-1"));
        assert!(matches!(catalogs.kept_template(&made.id), Some(TemplateSource::Stack { .. })));
        assert!(catalogs.kept_template("pa-unknown").is_none());
    }

    #[test]
    fn every_catalog_gets_the_record_step_and_the_rules() {
        let rules = CatalogRules { strict_idempotency: true, ..CatalogRules::default() };
        let artifact_rules = ArtifactRules { creating: STEP * 2, limit: 7 };
        let mut catalogs = Catalogs::new(STEP * 3, rules, artifact_rules);
        let catalog = catalogs.of(&Scope::new("210987654321", "ap-southeast-2"));
        assert_eq!((catalog.record_step, catalog.rules), (STEP * 3, rules));
        assert_eq!(catalog.artifact_rules, artifact_rules);
        assert_eq!(catalog.scope(), &Scope::new("210987654321", "ap-southeast-2"));
    }
}
