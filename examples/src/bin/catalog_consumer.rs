//! The Catalog service: consumes the auth events it caches (`catalog.auth.events`: `auth.user.*` and three more), one typed handler per event and version.

use evreg_bus::Consumer;
use evreg_bus::consume::HandlerError;
use evreg_examples::events::auth::{local, organization, role, user};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    evreg_examples::init_logs();
    Consumer::new(
        evreg_examples::broker()?,
        evreg_examples::schemas()?,
        "catalog.auth.events",
    )?
    .on::<user::UserCreatedV1, _, _>(|m, _| async move {
        println!(
            "permission cache: new user {} ({})",
            m.payload.user_id, m.payload.email
        );
        Ok::<(), HandlerError>(())
    })
    .on::<user::UserCreatedV2, _, _>(|m, _| async move {
        println!(
            "permission cache: new user {} ({}, locale {:?})",
            m.payload.user_id, m.payload.email, m.payload.locale
        );
        Ok(())
    })
    .on::<user::UserUpdatedV1, _, _>(|m, _| async move {
        println!("permission cache: user {} changed", m.payload.user_id);
        Ok(())
    })
    .on::<user::UserDeactivatedV1, _, _>(|m, _| async move {
        println!("permission cache: user {} deactivated", m.payload.user_id);
        Ok(())
    })
    .on::<role::RolePermissionsChangedV1, _, _>(|m, _| async move {
        println!("role cache: role {} changed", m.payload.role_id);
        Ok(())
    })
    .on::<organization::OrganizationSuspendedV1, _, _>(|m, _| async move {
        println!("blocking operations of {}", m.payload.organization_id);
        Ok(())
    })
    .on::<local::LocalDeletedV1, _, _>(|m, _| async move {
        println!("removing variants of local {}", m.payload.local_id);
        Ok(())
    })
    .run(evreg_examples::shutdown())
    .await?;
    Ok(())
}
