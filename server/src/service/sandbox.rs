//! The sandbox: in sandbox mode, admins make a simulated customer write in (demos, and the
//! browser tests, which cannot reach the simulator's own controls).

use super::{ServiceError, ServiceResult, Services, require_admin};
use parley_app::model::Viewer;
use std::time::Duration;

/// The customer (by phone or business-scoped user id) sends `content`, a message's
/// type-specific part as in Meta's webhooks; answers its wamid.
pub fn customer_writes(
    svc: &Services,
    viewer: &Viewer,
    address: &str,
    content: serde_json::Value,
) -> ServiceResult<String> {
    require_admin(viewer)?;
    let sim = svc
        .sandbox
        .as_ref()
        .ok_or(ServiceError::NotFound("sandbox"))?;
    let persona = crate::sandbox::personas_by_address(address)
        .ok_or(ServiceError::NotFound("simulated customer"))?;
    if !content
        .get("type")
        .is_some_and(serde_json::Value::is_string)
    {
        return Err(ServiceError::Invalid(
            "the message needs a `type` and its part, e.g. {\"type\": \"text\", \"text\": \
             {\"body\": \"Hi\"}}"
                .into(),
        ));
    }
    Ok(sim.customer_writes(persona, content, Duration::ZERO))
}
