//! WhatsApp Cloud API wire formats, shared by the intake, the Graph API client and the
//! simulator: object ids, webhook payloads and their signature.

pub mod ids;
mod number_updates;
pub mod signature;
pub mod webhook;
