//! Where the access token may go.

use reqwest::Url;

/// Meta serves media downloads from this host, and they need the access token.
const META_MEDIA_HOST: &str = "lookaside.fbsbx.com";
const META_GRAPH_HOST: &str = "graph.facebook.com";

/// Whether an origin may carry the access token: https, or http to this machine (tests and
/// the sandbox's simulator).
pub fn is_secure_origin(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// Whether the access token may go to `url`, given the configured Graph origin: the same
/// origin, or Meta's media host when Parley talks to Meta itself.
pub fn token_may_go_to(graph: &Url, url: &Url) -> bool {
    if !is_secure_origin(graph) || !is_secure_origin(url) {
        return false;
    }
    let meta_media = graph.scheme() == "https"
        && graph.host_str() == Some(META_GRAPH_HOST)
        && url.scheme() == "https"
        && url.host_str() == Some(META_MEDIA_HOST)
        && url.port().is_none();
    url.origin() == graph.origin() || meta_media
}
