//! Products and their provisioning artifacts: CreateProduct, CreateProvisioningArtifact,
//! UpdateProvisioningArtifact, and the lookups by id or name that the other operations share.

use std::time::SystemTime;

use super::state::{
    Artifact, ArtifactRef, ArtifactUpdate, Catalog, Guidance, NewArtifact, NewProduct, Product, ProductRef,
};
use crate::error::ServiceError;
use crate::ids::new_id;

impl Catalog {
    /// CreateProduct. The same idempotency token answers with the product it created the first time.
    /// The product's ARN carries the catalog's account and region.
    pub fn create_product(&mut self, new: NewProduct, now: SystemTime) -> Product {
        if let Some(existing) = new.idempotency_token.as_ref().and_then(|token| self.product_tokens.get(token))
            && let Some(product) = self.products.iter().find(|product| &product.id == existing)
        {
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
            artifacts: vec![new_artifact(new.artifact, now)],
            id,
        };
        if let Some(token) = new.idempotency_token {
            self.product_tokens.insert(token, product.id.clone());
        }
        self.products.push(product.clone());
        product
    }

    /// CreateProvisioningArtifact. Artifact names are unique within a product.
    pub fn create_artifact(
        &mut self,
        product: &ProductRef,
        new: NewArtifact,
        idempotency_token: Option<&str>,
        now: SystemTime,
    ) -> Result<Artifact, ServiceError> {
        if let Some((product_id, artifact_id)) = idempotency_token.and_then(|token| self.artifact_tokens.get(token)) {
            let (_, artifact) =
                self.artifact(&ProductRef::Id(product_id.clone()), &ArtifactRef::Id(artifact_id.clone()))?;
            return Ok(artifact.clone());
        }
        let index = self.product_index(product)?;
        let product = &mut self.products[index];
        if let Some(name) = &new.name
            && product.artifacts.iter().any(|artifact| artifact.name.as_ref() == Some(name))
        {
            return Err(ServiceError::invalid_parameters(format!(
                "Product {} already has a provisioning artifact named '{name}'",
                product.id
            )));
        }
        let artifact = new_artifact(new, now);
        product.artifacts.push(artifact.clone());
        if let Some(token) = idempotency_token {
            self.artifact_tokens.insert(token.to_owned(), (product.id.clone(), artifact.id.clone()));
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
}

fn new_artifact(new: NewArtifact, now: SystemTime) -> Artifact {
    Artifact {
        id: new_id("pa-"),
        name: new.name,
        description: new.description,
        template_url: new.template_url,
        created: now,
        active: true,
        guidance: Guidance::Default,
    }
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
    use super::*;
    use crate::catalog::fixtures::{seeded, start};
    use crate::error::ErrorCode;

    #[test]
    fn create_product_with_a_known_token_returns_the_first_product() {
        let (mut catalog, product, _) = seeded();
        let again = catalog.create_product(
            NewProduct {
                name: "other".to_owned(),
                owner: "x".to_owned(),
                description: None,
                distributor: None,
                support_description: None,
                support_email: None,
                support_url: None,
                artifact: NewArtifact { name: None, description: None, template_url: "http://x/y".to_owned() },
                idempotency_token: Some("token-1".to_owned()),
            },
            start(),
        );
        assert_eq!(again.id, product);
        assert_eq!(again.name, "payments");
    }

    #[test]
    fn an_artifact_name_is_unique_within_its_product() {
        let (mut catalog, product, _) = seeded();
        let duplicate =
            NewArtifact { name: Some("v1".to_owned()), description: None, template_url: "http://x/y".to_owned() };
        let error = catalog.create_artifact(&ProductRef::Id(product), duplicate, None, start()).expect_err("duplicate");
        assert_eq!(error.code, ErrorCode::InvalidParameters);
    }
}
