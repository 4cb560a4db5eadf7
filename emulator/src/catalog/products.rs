//! Products and their provisioning artifacts: CreateProduct, CreateProvisioningArtifact (its two halves around the
//! read of a stack's template), UpdateProvisioningArtifact, SearchProducts, and the lookups by id or name that the
//! other operations share.

use std::time::SystemTime;

use super::state::{
    Artifact, ArtifactPlan, ArtifactRef, ArtifactRequest, ArtifactTokenUse, ArtifactUpdate, Catalog, Guidance,
    NewArtifact, NewProduct, Product, ProductPage, ProductRef, TEMPLATE_ARTIFACT_TYPE, TemplateOrigin, TemplateSource,
};
use crate::error::ServiceError;
use crate::ids::new_id;
use crate::product_search::{ProductFields, ProductFilters, ProductSort, ProductSortField};
use crate::search::PageRequest;

impl Catalog {
    /// The product an earlier CreateProduct with this idempotency token created, if any: it is answered again
    /// before anything else is done (a stack is not read again).
    pub fn product_by_token(&self, token: &str) -> Option<&Product> {
        let id = self.product_tokens.get(token)?;
        self.products.iter().find(|product| &product.id == id)
    }

    /// CreateProduct. The same idempotency token answers with the product it created the first time.
    /// The product's ARN carries the catalog's account and region. Its first artifact counts towards the artifact
    /// limit, which is at least one.
    pub fn create_product(&mut self, new: NewProduct, now: SystemTime) -> Product {
        if let Some(product) = new.idempotency_token.as_deref().and_then(|token| self.product_by_token(token)) {
            return product.clone();
        }
        let id = new_id("prod-");
        let product = Product {
            arn: format!("arn:aws:catalog:{}:{}:product/{id}", self.scope.region, self.scope.account),
            view_id: new_id("prodview-"),
            name: new.name,
            owner: new.owner,
            description: new.description,
            distributor: new.distributor,
            support_description: new.support_description,
            support_email: new.support_email,
            support_url: new.support_url,
            created: now,
            artifacts: vec![self.new_artifact(new.artifact, now)],
            id,
        };
        if let Some(token) = new.idempotency_token {
            self.product_tokens.insert(token, product.id.clone());
        }
        self.products.push(product.clone());
        product
    }

    /// A new artifact's template source must be usable in this catalog: a stack of its own account and region. The
    /// service reads the stack with the caller's credentials, in the caller's account and region, where no stack of
    /// another account or region exists. Checked before CloudFormation is asked.
    pub fn check_origin(&self, origin: &TemplateOrigin) -> Result<(), ServiceError> {
        let TemplateOrigin::Stack(stack) = origin else {
            return Ok(());
        };
        let scope = &self.scope;
        if stack.account() == scope.account && stack.region() == scope.region {
            return Ok(());
        }
        Err(ServiceError::invalid_parameters(format!(
            "Info.ImportFromPhysicalId {} is a stack of account {} in {}: a provisioning artifact is made only from a \
             stack of the caller's own account and region ({} in {})",
            stack.as_str(),
            stack.account(),
            stack.region(),
            scope.account,
            scope.region
        )))
    }

    /// CreateProvisioningArtifact, first half: everything that needs no stack. A known idempotency token answers
    /// its artifact before anything else is looked at (whatever its status, CREATING included); with strict
    /// idempotency, only when the request is the one that used it. Then the product, the template source's account
    /// and region, the artifact name and the artifact limit.
    pub fn prepare_artifact(
        &self,
        product: &ProductRef,
        request: &ArtifactRequest,
        idempotency_token: Option<&str>,
    ) -> Result<ArtifactPlan, ServiceError> {
        if let Some(token) = idempotency_token
            && let Some(used) = self.artifact_tokens.get(token)
        {
            if self.rules.strict_idempotency {
                let differences = differing_artifact_members(used, product, request);
                if !differences.is_empty() {
                    return Err(ServiceError::invalid_parameters(format!(
                        "IdempotencyToken '{token}' was already used by a CreateProvisioningArtifact with other \
                         parameters: {}",
                        differences.join("; ")
                    )));
                }
            }
            let (_, artifact) =
                self.artifact(&ProductRef::Id(used.product_id.clone()), &ArtifactRef::Id(used.artifact_id.clone()))?;
            return Ok(ArtifactPlan::Replay(artifact.clone()));
        }
        let product = self.product(product)?;
        self.check_origin(&request.origin)?;
        if let Some(name) = &request.name
            && product.artifacts.iter().any(|artifact| artifact.name.as_ref() == Some(name))
        {
            return Err(ServiceError::invalid_parameters(format!(
                "Product {} already has a provisioning artifact named '{name}'",
                product.id
            )));
        }
        let limit = self.artifact_rules.limit;
        if product.artifacts.len() >= limit {
            return Err(ServiceError::limit_exceeded(format!(
                "The maximum number of provisioning artifacts for this product has been reached: product {} holds \
                 {} of {limit}",
                product.id,
                product.artifacts.len()
            )));
        }
        Ok(ArtifactPlan::Create)
    }

    /// CreateProvisioningArtifact, second half, with the template at hand: every check of the first half again
    /// (another request may have landed meanwhile), then the artifact is created. Artifact names are unique within
    /// a product.
    pub fn create_artifact(
        &mut self,
        product: &ProductRef,
        new: NewArtifact,
        idempotency_token: Option<&str>,
        now: SystemTime,
    ) -> Result<Artifact, ServiceError> {
        let request = new.request();
        if let ArtifactPlan::Replay(artifact) = self.prepare_artifact(product, &request, idempotency_token)? {
            return Ok(artifact);
        }
        let index = self.product_index(product)?;
        let artifact = self.new_artifact(new, now);
        let product = &mut self.products[index];
        product.artifacts.push(artifact.clone());
        if let Some(token) = idempotency_token {
            let used = ArtifactTokenUse { product_id: product.id.clone(), artifact_id: artifact.id.clone(), request };
            self.artifact_tokens.insert(token.to_owned(), used);
        }
        Ok(artifact)
    }

    /// UpdateProvisioningArtifact: name, description, `Active` and `Guidance`.
    pub fn update_artifact(
        &mut self,
        product: &ProductRef,
        wanted: &ArtifactRef,
        update: ArtifactUpdate,
    ) -> Result<Artifact, ServiceError> {
        let product_index = self.product_index(product)?;
        let product = &mut self.products[product_index];
        let product_id = product.id.clone();
        let artifact = product
            .artifacts
            .iter_mut()
            .find(|candidate| artifact_is(candidate, wanted))
            .ok_or_else(|| artifact_not_found(wanted, &product_id))?;
        if let Some(name) = update.name {
            artifact.name = Some(name);
        }
        if let Some(description) = update.description {
            artifact.description = Some(description);
        }
        if let Some(active) = update.active {
            artifact.active = active;
        }
        if let Some(guidance) = update.guidance {
            artifact.guidance = guidance;
        }
        Ok(artifact.clone())
    }

    /// SearchProducts: every product of this catalog that the filters match (the emulator has no portfolios, so a
    /// caller has access to every product of its account and region), sorted, one page of them. Without a sort,
    /// and between equals, products come in the order they were created in; products are never removed, so a page
    /// token (an offset) stays valid while products are created.
    pub fn search_products(
        &self,
        filters: &ProductFilters,
        sort: Option<ProductSort>,
        page: PageRequest,
    ) -> ProductPage<'_> {
        let mut found: Vec<&Product> = self
            .products
            .iter()
            .filter(|product| {
                let fields =
                    ProductFields { name: &product.name, owner: &product.owner, product_type: TEMPLATE_ARTIFACT_TYPE };
                filters.matches(&fields)
            })
            .collect();
        if let Some(sort) = sort {
            // A stable sort: products that compare equal stay in creation order, so pages are stable too.
            found.sort_by(|first, second| {
                let order = match sort.field {
                    ProductSortField::Title => first.name.to_lowercase().cmp(&second.name.to_lowercase()),
                    ProductSortField::VersionCount => first.artifacts.len().cmp(&second.artifacts.len()),
                    ProductSortField::CreationDate => first.created.cmp(&second.created),
                };
                if sort.descending { order.reverse() } else { order }
            });
        }
        let (products, next_page_token) = page.slice(found);
        ProductPage { products, next_page_token }
    }

    pub fn product(&self, product: &ProductRef) -> Result<&Product, ServiceError> {
        self.product_index(product).map(|index| &self.products[index])
    }

    pub fn artifact(
        &self,
        product: &ProductRef,
        artifact: &ArtifactRef,
    ) -> Result<(&Product, &Artifact), ServiceError> {
        let product = self.product(product)?;
        let found = product.artifacts.iter().find(|candidate| artifact_is(candidate, artifact));
        found.map(|artifact| (product, artifact)).ok_or_else(|| artifact_not_found(artifact, &product.id))
    }

    /// The template an artifact made from a stack keeps, which the emulator serves at its template URL; None for an
    /// unknown artifact or one created from a URL (that one is served where its URL points).
    pub fn kept_template(&self, artifact_id: &str) -> Option<&TemplateSource> {
        self.products
            .iter()
            .flat_map(|product| &product.artifacts)
            .find(|artifact| artifact.id == artifact_id)
            .map(|artifact| &artifact.source)
            .filter(|source| matches!(source, TemplateSource::Stack { .. }))
    }

    fn product_index(&self, product: &ProductRef) -> Result<usize, ServiceError> {
        let found = match product {
            ProductRef::Id(id) => self.products.iter().position(|candidate| &candidate.id == id),
            ProductRef::Name(name) => self.products.iter().position(|candidate| &candidate.name == name),
        };
        found.ok_or_else(|| match product {
            ProductRef::Id(id) => ServiceError::not_found(format!("Product '{id}' was not found")),
            ProductRef::Name(name) => ServiceError::not_found(format!("No product is named '{name}'")),
        })
    }

    /// An artifact from a URL is AVAILABLE at once; one from a stack is CREATING for `ArtifactRules::creating`.
    fn new_artifact(&self, new: NewArtifact, now: SystemTime) -> Artifact {
        let available = match new.source {
            TemplateSource::Url(_) => now,
            TemplateSource::Stack { .. } => now + self.artifact_rules.creating,
        };
        Artifact {
            id: new_id("pa-"),
            name: new.name,
            description: new.description,
            source: new.source,
            created: now,
            available,
            active: true,
            guidance: Guidance::Default,
        }
    }
}

/// The members in which `again` differs from the CreateProvisioningArtifact that first used its idempotency token,
/// each as "Member 'now' (first 'then')".
fn differing_artifact_members(first: &ArtifactTokenUse, product: &ProductRef, again: &ArtifactRequest) -> Vec<String> {
    let product_now = match product {
        ProductRef::Id(id) | ProductRef::Name(id) => id.as_str(),
    };
    let shown = |value: &Option<String>| value.clone().unwrap_or_default();
    [
        ("ProductId", first.product_id.clone(), product_now.to_owned()),
        ("Parameters.Name", shown(&first.request.name), shown(&again.name)),
        ("Parameters.Description", shown(&first.request.description), shown(&again.description)),
        ("Parameters.Info", first.request.origin.to_string(), again.origin.to_string()),
    ]
    .into_iter()
    .filter(|(_, then, now)| then != now)
    .map(|(member, then, now)| format!("{member} '{now}' (first '{then}')"))
    .collect()
}

fn artifact_is(candidate: &Artifact, wanted: &ArtifactRef) -> bool {
    match wanted {
        ArtifactRef::Id(id) => &candidate.id == id,
        ArtifactRef::Name(name) => candidate.name.as_ref() == Some(name),
    }
}

fn artifact_not_found(artifact: &ArtifactRef, product_id: &str) -> ServiceError {
    match artifact {
        ArtifactRef::Id(id) => {
            ServiceError::not_found(format!("Provisioning artifact '{id}' of product '{product_id}' was not found"))
        }
        ArtifactRef::Name(name) => {
            ServiceError::not_found(format!("Product '{product_id}' has no provisioning artifact named '{name}'"))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::catalog::fixtures::{STACK, new_product, seeded, stack_artifact, start, url_artifact};
    use crate::catalog::state::{ArtifactRules, ArtifactStatus, CatalogRules, Scope};
    use crate::error::ErrorCode;

    fn request_of(new: &NewArtifact) -> ArtifactRequest {
        new.request()
    }

    #[test]
    fn create_product_with_a_known_token_returns_the_first_product() {
        let (mut catalog, product, _) = seeded();
        let mut other = new_product("other", Some("token-1"));
        other.owner = "x".to_owned();
        let again = catalog.create_product(other, start());
        assert_eq!(again.id, product);
        assert_eq!(again.name, "payments");
        assert_eq!(catalog.product_by_token("token-1").map(|found| found.id.as_str()), Some(product.as_str()));
        assert!(catalog.product_by_token("token-2").is_none());
    }

    #[test]
    fn an_artifact_name_is_unique_within_its_product() {
        let (mut catalog, product, _) = seeded();
        let duplicate = url_artifact(Some("v1"), "http://x/y");
        let error = catalog.create_artifact(&ProductRef::Id(product), duplicate, None, start()).expect_err("duplicate");
        assert_eq!(error.code, ErrorCode::InvalidParameters);
    }

    #[test]
    fn an_artifact_from_a_url_is_available_at_once_and_one_from_a_stack_after_the_creating_time() {
        let (catalog, product, first) = seeded();
        let creating = Duration::from_millis(250);
        let mut catalog = catalog.with_artifact_rules(ArtifactRules { creating, ..ArtifactRules::default() });
        let (_, from_url) =
            catalog.artifact(&ProductRef::Id(product.clone()), &ArtifactRef::Id(first.clone())).expect("v1");
        assert_eq!(from_url.status_at(start()), ArtifactStatus::Available);
        let from_stack = catalog
            .create_artifact(
                &ProductRef::Id(product),
                stack_artifact(Some("v2"), STACK, "Resources: {}"),
                None,
                start(),
            )
            .expect("created");
        assert_eq!(from_stack.status_at(start()), ArtifactStatus::Creating);
        assert_eq!(from_stack.status_at(start() + creating - Duration::from_millis(1)), ArtifactStatus::Creating);
        assert_eq!(from_stack.status_at(start() + creating), ArtifactStatus::Available);
        assert_eq!(ArtifactStatus::Creating.as_str(), "CREATING");
        let kept = catalog.kept_template(&from_stack.id);
        assert!(matches!(kept, Some(TemplateSource::Stack { body, .. }) if &**body == "Resources: {}"), "{kept:?}");
        assert!(catalog.kept_template(&first).is_none(), "a URL artifact keeps no template");
        assert!(catalog.kept_template("pa-unknown").is_none());
    }

    #[test]
    fn a_stack_of_another_account_or_region_is_invalid_parameters_before_anything_is_read() {
        let (catalog, product, _) = seeded();
        for stack in [
            "arn:aws:cloudformation:us-east-1:210987654321:stack/payments-api/0b9a",
            "arn:aws:cloudformation:eu-west-1:111122223333:stack/payments-api/0b9a",
        ] {
            let new = stack_artifact(Some("v2"), stack, "Resources: {}");
            let error = catalog.prepare_artifact(&ProductRef::Id(product.clone()), &request_of(&new), None);
            let error = error.expect_err(stack);
            assert_eq!(error.code, ErrorCode::InvalidParameters, "{stack}");
            assert!(error.message.contains("ImportFromPhysicalId"), "{}", error.message);
        }
        let ours = stack_artifact(Some("v2"), STACK, "Resources: {}");
        let plan = catalog.prepare_artifact(&ProductRef::Id(product), &request_of(&ours), None);
        assert!(matches!(plan, Ok(ArtifactPlan::Create)), "{plan:?}");
    }

    #[test]
    fn the_artifact_limit_counts_the_first_artifact_and_a_replay_is_not_a_new_one() {
        let (catalog, product, _) = seeded();
        let mut catalog = catalog.with_artifact_rules(ArtifactRules { limit: 2, ..ArtifactRules::default() });
        let product = ProductRef::Id(product);
        let second = catalog
            .create_artifact(&product, url_artifact(Some("v2"), "http://x/2"), Some("t2"), start())
            .expect("the second of two");
        let error = catalog
            .create_artifact(&product, url_artifact(Some("v3"), "http://x/3"), Some("t3"), start())
            .expect_err("a third");
        assert_eq!(error.code, ErrorCode::LimitExceeded);
        assert!(
            error.message.starts_with("The maximum number of provisioning artifacts for this product has been reached")
        );
        let again = catalog
            .create_artifact(&product, url_artifact(Some("v2"), "http://x/2"), Some("t2"), start())
            .expect("replayed at the limit");
        assert_eq!(again.id, second.id);
        assert_eq!(catalog.product(&product).expect("product").artifacts.len(), 2);
    }

    #[test]
    fn a_known_token_answers_its_artifact_and_strict_idempotency_refuses_other_parameters() {
        for strict in [false, true] {
            let (catalog, product, _) = seeded();
            let mut catalog =
                catalog.with_rules(CatalogRules { strict_idempotency: strict, ..CatalogRules::default() });
            let product = ProductRef::Id(product);
            let new = stack_artifact(Some("v2"), STACK, "Resources: {}");
            let first = catalog.create_artifact(&product, new.clone(), Some("t"), start()).expect("first");
            // The same request: its artifact, before any stack is read, in both modes.
            let plan = catalog.prepare_artifact(&product, &request_of(&new), Some("t")).expect("replay");
            assert!(matches!(plan, ArtifactPlan::Replay(ref artifact) if artifact.id == first.id), "{plan:?}");
            // Another name and another stack with the same token.
            let other = stack_artifact(Some("v3"), "arn:aws:cloudformation:us-east-1:111122223333:stack/x/1", "{}");
            let again = catalog.create_artifact(&product, other, Some("t"), start());
            if strict {
                let error = again.expect_err("strict");
                assert_eq!(error.code, ErrorCode::InvalidParameters);
                assert!(error.message.contains("Parameters.Name 'v3' (first 'v2')"), "{}", error.message);
                assert!(error.message.contains("stack/x/1"), "{}", error.message);
            } else {
                assert_eq!(again.expect("lenient").id, first.id);
            }
            assert_eq!(catalog.product(&product).expect("product").artifacts.len(), 2);
        }
    }

    fn products_named(catalog: &mut Catalog, names: &[&str]) {
        for (index, name) in names.iter().enumerate() {
            let mut new = new_product(name, None);
            new.owner = if index % 2 == 0 { "platform" } else { "security" }.to_owned();
            catalog.create_product(new, start() + Duration::from_secs(index as u64));
        }
    }

    fn names(page: &ProductPage<'_>) -> Vec<String> {
        page.products.iter().map(|product| product.name.clone()).collect()
    }

    #[test]
    fn search_products_pages_every_product_once_in_creation_order() {
        let mut catalog = Catalog::new(Duration::from_secs(1), Scope::new("111122223333", "us-east-1"));
        let all: Vec<String> = (0..45).map(|index| format!("product-{index:02}")).collect();
        products_named(&mut catalog, &all.iter().map(String::as_str).collect::<Vec<_>>());
        let everything = ProductFilters::default();
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut sizes = Vec::new();
        loop {
            let page = PageRequest::parse(Some(20), token.as_deref()).expect("page");
            let found = catalog.search_products(&everything, None, page);
            sizes.push(found.products.len());
            seen.extend(names(&found));
            token = found.next_page_token;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(sizes, [20, 20, 5]);
        assert_eq!(seen, all);
    }

    #[test]
    fn search_products_filters_and_sorts() {
        let mut catalog = Catalog::new(Duration::from_secs(1), Scope::new("111122223333", "us-east-1"));
        products_named(&mut catalog, &["orders", "Payments", "payroll", "audit"]);
        let page = PageRequest::parse(None, None).expect("page");
        let map = std::collections::HashMap::from([("FullTextSearch".to_owned(), vec!["PAY".to_owned()])]);
        let pay = ProductFilters::parse(Some(&map)).expect("filters");
        assert_eq!(names(&catalog.search_products(&pay, None, page)), ["Payments", "payroll"]);
        let title = ProductSort { field: ProductSortField::Title, descending: false };
        let everything = ProductFilters::default();
        assert_eq!(
            names(&catalog.search_products(&everything, Some(title), page)),
            ["audit", "orders", "Payments", "payroll"]
        );
        let newest = ProductSort { field: ProductSortField::CreationDate, descending: true };
        assert_eq!(
            names(&catalog.search_products(&everything, Some(newest), page)),
            ["audit", "payroll", "Payments", "orders"]
        );
        let platform = std::collections::HashMap::from([("Owner".to_owned(), vec!["platform".to_owned()])]);
        let platform = ProductFilters::parse(Some(&platform)).expect("filters");
        assert_eq!(names(&catalog.search_products(&platform, None, page)), ["orders", "payroll"]);
    }
}
