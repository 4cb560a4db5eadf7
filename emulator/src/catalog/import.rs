//! The import lifecycle, ImportAsProvisionedProduct in two halves around the read of the stack: the checks that
//! need no stack (the stack ARN's account and region among them), then the stack rules and every check again before
//! the provisioned product and its record are created.

use std::time::SystemTime;

use super::state::{
    Artifact, ArtifactRef, ArtifactStatus, Catalog, IMPORTABLE_STACK_STATUSES, ImportPlan, ImportRequest, Product,
    ProductRef, ProvisionedProduct, Record, RecordEnding, RecordStatus, RecordView, StackFacts, TokenUse,
};
use crate::clock::epoch_seconds;
use crate::error::ServiceError;
use crate::ids::new_id;
use crate::params::StackArn;

impl Catalog {
    /// ImportAsProvisionedProduct, first half: the checks that need no stack. A known token replays its record
    /// before anything else is looked at; with strict idempotency, only when the request is the one that used it.
    pub fn prepare_import(&self, request: &ImportRequest, now: SystemTime) -> Result<ImportPlan, ServiceError> {
        let token = request.idempotency_token.as_str();
        if let Some(used) = self.import_tokens.get(token) {
            if self.rules.strict_idempotency {
                let differences = differing_members(&used.request, request);
                if !differences.is_empty() {
                    return Err(ServiceError::invalid_parameters(format!(
                        "IdempotencyToken '{token}' was already used by an import with other parameters: {}",
                        differences.join("; ")
                    )));
                }
            }
            return self.record(&used.record_id, now).map(ImportPlan::Replay);
        }
        let (_, artifact) = self.importable_artifact(request, now)?;
        let template = artifact.source.clone();
        self.check_stack_is_ours(&request.physical_id)?;
        Ok(ImportPlan::ReadStack { template })
    }

    /// The service reads the stack in the caller's own account and region, where CloudFormation knows no stack of
    /// another account or region: such a stack is one that does not exist, as CloudFormation's `ValidationError
    /// … does not exist` for a missing stack (ResourceNotFoundException). Checked before CloudFormation is asked.
    fn check_stack_is_ours(&self, stack: &StackArn) -> Result<(), ServiceError> {
        let scope = &self.scope;
        if stack.account() == scope.account && stack.region() == scope.region {
            return Ok(());
        }
        Err(ServiceError::not_found(format!(
            "Stack with id {} does not exist in account {} in {}: an import reads the stack in the caller's own \
             account and region, and this one is in account {} in {}",
            stack.as_str(),
            scope.account,
            scope.region,
            stack.account(),
            stack.region()
        )))
    }

    /// ImportAsProvisionedProduct, second half, once the stack was read and judged: everything is checked again
    /// (another request may have landed meanwhile), then the provisioned product and its record are created.
    pub fn admit_import(
        &mut self,
        request: &ImportRequest,
        stack: &StackFacts,
        ending: RecordEnding,
        now: SystemTime,
    ) -> Result<RecordView, ServiceError> {
        if let ImportPlan::Replay(record) = self.prepare_import(request, now)? {
            return Ok(record);
        }
        check_stack(stack)?;
        let (product, artifact) = self.importable_artifact(request, now)?;
        let (product_name, artifact_name) = (product.name.clone(), artifact.name.clone());

        let name = request.name.as_str();
        let live = self.live_provisioned_products(now).collect::<Vec<_>>();
        if let Some(existing) = live.iter().find(|existing| existing.name == name) {
            return Err(ServiceError::duplicate(format!(
                "A provisioned product named '{name}' already exists ({})",
                existing.id
            )));
        }
        if let Some(existing) = live.iter().find(|existing| {
            existing.physical_id == stack.stack_id || existing.physical_id == request.physical_id.as_str()
        }) {
            return Err(ServiceError::duplicate(format!(
                "Stack {} is already provisioned product '{}' ({})",
                stack.stack_id, existing.name, existing.id
            )));
        }
        if let Some(running) = self.records.iter().find(|record| !self.status_at(record, now).0.is_terminal()) {
            return Err(ServiceError::invalid_state(format!(
                "another import is in progress: record {} of provisioned product '{}' has not finished; \
                 only one provisioned product can be imported at a time",
                running.id, running.provisioned_product_name
            )));
        }

        let provisioned_id = new_id("pp-");
        let record = Record {
            id: new_id("rec-"),
            provisioned_product_id: provisioned_id.clone(),
            provisioned_product_name: name.to_owned(),
            product_id: request.product_id.as_str().to_owned(),
            artifact_id: request.artifact_id.as_str().to_owned(),
            created: now,
            ending,
        };
        self.provisioned.push(ProvisionedProduct {
            arn: format!(
                "arn:aws:servicecatalog:{}:{}:stack/{name}/{provisioned_id}",
                self.scope.region, self.scope.account
            ),
            id: provisioned_id,
            name: name.to_owned(),
            physical_id: stack.stack_id.clone(),
            product_id: request.product_id.as_str().to_owned(),
            product_name,
            artifact_id: request.artifact_id.as_str().to_owned(),
            artifact_name,
            created: now,
            idempotency_token: request.idempotency_token.as_str().to_owned(),
            last_record_id: record.id.clone(),
        });
        self.import_tokens.insert(
            request.idempotency_token.as_str().to_owned(),
            TokenUse { record_id: record.id.clone(), request: request.clone() },
        );
        self.records.push(record.clone());
        // The service answers a new import with its record just created, whatever the step length.
        Ok(RecordView { record, status: RecordStatus::Created, updated: now })
    }

    /// The import's product and artifact: both must exist, and the artifact must be active and AVAILABLE. The API
    /// reference does not say how the service answers an import into an artifact still CREATING; refusing it with
    /// InvalidParametersException, as for an inactive one, is the emulator's choice.
    fn importable_artifact(
        &self,
        request: &ImportRequest,
        now: SystemTime,
    ) -> Result<(&Product, &Artifact), ServiceError> {
        let product_ref = ProductRef::Id(request.product_id.as_str().to_owned());
        let artifact_ref = ArtifactRef::Id(request.artifact_id.as_str().to_owned());
        let (product, artifact) = self.artifact(&product_ref, &artifact_ref)?;
        if !artifact.active {
            return Err(ServiceError::invalid_parameters(format!(
                "Provisioning artifact {} of product {} is not active",
                artifact.id, product.id
            )));
        }
        if artifact.status_at(now) == ArtifactStatus::Creating {
            return Err(ServiceError::invalid_parameters(format!(
                "Provisioning artifact {} of product {} is not available yet: its status is CREATING until {:.3} \
                 (epoch seconds)",
                artifact.id,
                product.id,
                epoch_seconds(artifact.available)
            )));
        }
        Ok((product, artifact))
    }
}

/// The members in which `again` differs from the request that first used its idempotency token, each as
/// "Member 'now' (first 'then')".
fn differing_members(first: &ImportRequest, again: &ImportRequest) -> Vec<String> {
    [
        ("ProductId", first.product_id.as_str(), again.product_id.as_str()),
        ("ProvisioningArtifactId", first.artifact_id.as_str(), again.artifact_id.as_str()),
        ("ProvisionedProductName", first.name.as_str(), again.name.as_str()),
        ("PhysicalId", first.physical_id.as_str(), again.physical_id.as_str()),
    ]
    .into_iter()
    .filter(|(_, then, now)| then != now)
    .map(|(member, then, now)| format!("{member} '{now}' (first '{then}')"))
    .collect()
}

/// The stack rules of ImportAsProvisionedProduct: an importable status, and a root stack (nested stacks and
/// StackSets are not supported).
pub fn check_stack(stack: &StackFacts) -> Result<(), ServiceError> {
    if !IMPORTABLE_STACK_STATUSES.contains(&stack.status.as_str()) {
        return Err(ServiceError::invalid_state(format!(
            "Stack {} is {}; only stacks in {} can be imported",
            stack.stack_id,
            stack.status,
            IMPORTABLE_STACK_STATUSES.join(", ")
        )));
    }
    if let Some(parent) = &stack.parent_id {
        return Err(ServiceError::invalid_parameters(format!(
            "Stack {} is nested in {parent}; only root stacks can be imported",
            stack.stack_id
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::fixtures::{STACK, STEP, facts, request, seeded, seeded_in, stack_artifact, start};
    use crate::catalog::state::{ArtifactRules, CatalogRules, Scope, TemplateSource};
    use crate::error::ErrorCode;
    use crate::search::PageRequest;

    #[test]
    fn each_documented_status_is_importable_and_others_are_invalid_state() {
        for status in IMPORTABLE_STACK_STATUSES {
            assert_eq!(check_stack(&facts(STACK, status)), Ok(()), "{status}");
        }
        for status in
            ["CREATE_IN_PROGRESS", "ROLLBACK_COMPLETE", "UPDATE_IN_PROGRESS", "DELETE_COMPLETE", "CREATE_FAILED"]
        {
            let error = check_stack(&facts(STACK, status)).expect_err(status);
            assert_eq!(error.code, ErrorCode::InvalidState, "{status}");
        }
    }

    #[test]
    fn an_artifact_still_creating_is_not_importable_until_it_is_available() {
        let (catalog, product, _) = seeded();
        let creating = std::time::Duration::from_millis(500);
        let mut catalog = catalog.with_artifact_rules(ArtifactRules { creating, ..ArtifactRules::default() });
        let made = catalog
            .create_artifact(
                &ProductRef::Id(product.clone()),
                stack_artifact(Some("v2"), STACK, "Resources: {}"),
                None,
                start(),
            )
            .expect("created");
        let import = request(&product, &made.id, "payments-api", STACK, "t1");
        let error = catalog.prepare_import(&import, start() + creating / 2).expect_err("creating");
        assert_eq!(error.code, ErrorCode::InvalidParameters);
        assert!(error.message.contains("not available yet"), "{}", error.message);
        let plan = catalog.prepare_import(&import, start() + creating).expect("available");
        assert!(
            matches!(plan, ImportPlan::ReadStack { template: TemplateSource::Stack { ref body, .. } } if &**body == "Resources: {}"),
            "{plan:?}"
        );
    }

    #[test]
    fn a_nested_stack_is_invalid_parameters() {
        let nested = StackFacts {
            parent_id: Some("arn:aws:cloudformation:us-east-1:111122223333:stack/root/1".to_owned()),
            ..facts(STACK, "CREATE_COMPLETE")
        };
        assert_eq!(check_stack(&nested).expect_err("nested").code, ErrorCode::InvalidParameters);
    }

    #[test]
    fn the_provisioned_product_arn_names_the_catalog_account_region_and_name() {
        let (mut catalog, product, artifact) = seeded_in(Scope::new("210987654321", "eu-west-1"));
        let stack = "arn:aws:cloudformation:eu-west-1:210987654321:stack/payments-api/0b9a";
        catalog
            .admit_import(
                &request(&product, &artifact, "payments-api", stack, "t1"),
                &facts(stack, "CREATE_COMPLETE"),
                RecordEnding::Succeeded,
                start(),
            )
            .expect("admitted");
        let page = catalog.search(&[], None, PageRequest::parse(None, None).expect("page"), start());
        let found = &page.products[0].product;
        assert_eq!(found.arn, format!("arn:aws:servicecatalog:eu-west-1:210987654321:stack/payments-api/{}", found.id));
        assert_eq!(page.products[0].status, "UNDER_CHANGE");
    }

    #[test]
    fn a_stack_of_another_account_or_region_does_not_exist_for_the_caller() {
        let (catalog, product, artifact) = seeded();
        for stack in [
            "arn:aws:cloudformation:us-east-1:210987654321:stack/payments-api/0b9a",
            "arn:aws:cloudformation:eu-west-1:111122223333:stack/payments-api/0b9a",
        ] {
            let error = catalog.prepare_import(&request(&product, &artifact, "payments-api", stack, "t1"), start());
            let error = error.expect_err(stack);
            assert_eq!(error.code, ErrorCode::ResourceNotFound, "{stack}");
            assert!(error.message.starts_with(&format!("Stack with id {stack} does not exist")), "{}", error.message);
        }
        // The product and artifact are checked first, as for any import.
        let unknown = catalog.prepare_import(
            &request(
                "prod-gone",
                &artifact,
                "payments-api",
                "arn:aws:cloudformation:eu-west-1:210987654321:stack/x/1",
                "t1",
            ),
            start(),
        );
        assert!(unknown.expect_err("unknown product").message.contains("prod-gone"));
        assert!(matches!(
            catalog.prepare_import(&request(&product, &artifact, "payments-api", STACK, "t1"), start()),
            Ok(ImportPlan::ReadStack { .. })
        ));
    }

    #[test]
    fn only_one_import_runs_at_a_time_and_the_check_comes_after_duplicates() {
        let (mut catalog, product, artifact) = seeded();
        let orders = "arn:aws:cloudformation:us-east-1:111122223333:stack/orders/1";
        catalog
            .admit_import(
                &request(&product, &artifact, "payments-api", STACK, "t1"),
                &facts(STACK, "CREATE_COMPLETE"),
                RecordEnding::Succeeded,
                start(),
            )
            .expect("first");
        let busy = catalog.admit_import(
            &request(&product, &artifact, "orders", orders, "t2"),
            &facts(orders, "CREATE_COMPLETE"),
            RecordEnding::Succeeded,
            start() + STEP,
        );
        assert_eq!(busy.expect_err("busy").code, ErrorCode::InvalidState);
        let same_stack = catalog.admit_import(
            &request(&product, &artifact, "other", STACK, "t3"),
            &facts(STACK, "CREATE_COMPLETE"),
            RecordEnding::Succeeded,
            start() + STEP,
        );
        assert_eq!(same_stack.expect_err("duplicate").code, ErrorCode::DuplicateResource);
        let later = catalog.admit_import(
            &request(&product, &artifact, "orders", orders, "t2"),
            &facts(orders, "CREATE_COMPLETE"),
            RecordEnding::Succeeded,
            start() + STEP * 2,
        );
        assert!(later.is_ok(), "{later:?}");
    }

    #[test]
    fn strict_idempotency_refuses_a_known_token_with_other_parameters_and_replays_the_same_request() {
        let (catalog, product, artifact) = seeded();
        let mut catalog = catalog.with_rules(CatalogRules { strict_idempotency: true, ..CatalogRules::default() });
        let first_request = request(&product, &artifact, "payments-api", STACK, "t1");
        let first = catalog
            .admit_import(&first_request, &facts(STACK, "CREATE_COMPLETE"), RecordEnding::Succeeded, start())
            .expect("first");

        let renamed = request(&product, &artifact, "orders", STACK, "t1");
        let error = catalog.prepare_import(&renamed, start() + STEP).expect_err("another name");
        assert_eq!(error.code, ErrorCode::InvalidParameters);
        assert!(error.message.contains("ProvisionedProductName 'orders' (first 'payments-api')"), "{}", error.message);
        let other_stack = "arn:aws:cloudformation:us-east-1:111122223333:stack/orders/1";
        let moved = catalog.admit_import(
            &request(&product, &artifact, "payments-api", other_stack, "t1"),
            &facts(other_stack, "CREATE_COMPLETE"),
            RecordEnding::Succeeded,
            start() + STEP,
        );
        let error = moved.expect_err("another stack");
        assert!(error.message.contains("PhysicalId"), "{}", error.message);

        let replay = catalog.prepare_import(&first_request, start() + STEP).expect("same request");
        let ImportPlan::Replay(record) = replay else { panic!("expected a replay, got {replay:?}") };
        assert_eq!(record.record.id, first.record.id);
    }

    #[test]
    fn differing_members_name_each_changed_parameter() {
        let first = request("prod-a", "pa-a", "payments-api", STACK, "t1");
        assert!(differing_members(&first, &first.clone()).is_empty());
        let other = "arn:aws:cloudformation:us-east-1:111122223333:stack/orders/1";
        let changed = differing_members(&first, &request("prod-b", "pa-b", "orders", other, "t1"));
        let members: Vec<_> = changed.iter().filter_map(|text| text.split(' ').next()).collect();
        assert_eq!(members, ["ProductId", "ProvisioningArtifactId", "ProvisionedProductName", "PhysicalId"]);
    }

    #[test]
    fn a_known_token_replays_its_record_before_any_other_check() {
        let (mut catalog, product, artifact) = seeded();
        let first = catalog
            .admit_import(
                &request(&product, &artifact, "payments-api", STACK, "t1"),
                &facts(STACK, "CREATE_COMPLETE"),
                RecordEnding::Succeeded,
                start(),
            )
            .expect("first");
        let replay = catalog
            .prepare_import(&request("prod-gone", "pa-gone", "payments-api", STACK, "t1"), start() + STEP)
            .expect("replay");
        let ImportPlan::Replay(record) = replay else { panic!("expected a replay, got {replay:?}") };
        assert_eq!(record.record.id, first.record.id);
        assert_eq!(record.status, RecordStatus::InProgress);
    }
}
