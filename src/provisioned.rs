//! The steps that ask Service Catalog what it already manages: is the stack already a provisioned product, is the
//! provisioned product name still free.

use crate::decision::{Reason, Verdict};
use crate::ids::ProvisionedProductName;
use crate::ports::{ProvisionedProduct, ProvisionedProducts};
use crate::stack::Stack;

/// The authoritative "already managed" check: Service Catalog knows the stack as a provisioned product's physical
/// id. It is also what keeps the function from importing again on the events its own import causes.
pub async fn ensure_not_provisioned(products: &impl ProvisionedProducts, stack: &Stack) -> Result<(), Verdict> {
    match products.by_stack(&stack.arn).await.map_err(Verdict::from)? {
        Some(ProvisionedProduct { id, name, .. }) => Err(Verdict::new(
            Reason::AlreadyProvisioned,
            format!("stack {} is already provisioned product {name} ({id})", stack.name()),
        )),
        None => Ok(()),
    }
}

/// A provisioned product name is unique in the account: a taken one would make the import fail.
pub async fn ensure_name_free(
    products: &impl ProvisionedProducts,
    name: &ProvisionedProductName,
    tag_prefix: &str,
) -> Result<(), Verdict> {
    match products.by_name(name).await.map_err(Verdict::from)? {
        Some(product) => Err(Verdict::new(
            Reason::NameConflict,
            format!(
                "provisioned product name {name} is taken by {}; name another with the {tag_prefix}provisioned-product-name tag",
                product.id
            ),
        )),
        None => Ok(()),
    }
}
