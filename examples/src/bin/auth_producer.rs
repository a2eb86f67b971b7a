//! The Auth service: publishes user events (v1 and v2 of `auth.user.created`, and `auth.user.updated`), typed and validated.
//!
//! `auth-producer [--count N]`: N events (default 10), 64 in flight at a time.

use std::sync::Arc;

use evreg_bus::Publisher;
use evreg_examples::events::auth::user::{UserCreatedV1, UserCreatedV2};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    evreg_examples::init_logs();
    let count: usize = evreg_examples::arg("--count").map_or(Ok(10), |c| c.parse())?;
    let publisher = Arc::new(Publisher::new(
        evreg_examples::broker()?,
        evreg_examples::schemas()?,
    ));
    let fields = json!({"organization_id": "org_1", "actor": {"user_id": "user_admin"}});
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..count {
        if tasks.len() >= 64 {
            tasks.join_next().await.expect("a task")??;
        }
        let (p, fields) = (publisher.clone(), fields.clone());
        tasks.spawn(async move {
            let user_id = format!("user_{i}");
            let email = format!("user{i}@example.com");
            let roles = vec!["role_sales".to_owned()];
            if i % 2 == 0 {
                let v1 = UserCreatedV1 {
                    user_id,
                    email,
                    roles,
                    full_name: None,
                    local_ids: None,
                    created_at: None,
                };
                p.publish(&v1, fields).await
            } else {
                let v2 = UserCreatedV2 {
                    user_id,
                    email,
                    roles,
                    full_name: None,
                    local_ids: None,
                    created_at: None,
                    phone: None,
                    locale: None,
                };
                p.publish(&v2, fields).await
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    publisher.close().await;
    println!("published {count} events");
    Ok(())
}
