//! WhatsApp Cloud API wire formats, shared by the intake, the Graph API client and the
//! simulator: webhook payloads and their signature.

pub mod signature;
pub mod webhook;
