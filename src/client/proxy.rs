//! Which proxy, if any, carries the requests to the API server — chosen as client-go chooses it:
//!
//! - the kubeconfig cluster's `proxy-url`, when set, for every request (client-go
//!   `rest.Config.Proxy`, set from it in `clientcmd` `DirectClientConfig.ClientConfig`);
//! - else the environment as Go's `http.ProxyFromEnvironment` reads it
//!   (golang.org/x/net/http/httpproxy, `config.proxyForURL` and `config.useProxy`):
//!   `HTTPS_PROXY`/`https_proxy` for an `https://` server, `HTTP_PROXY`/`http_proxy` for an
//!   `http://` one, unless `NO_PROXY`/`no_proxy` matches the *server's* address; `localhost` and
//!   loopback addresses are never proxied.
//!
//! kube's own environment lookup (kube-client `config/file_loader.rs`, `proxy_url()`) matches
//! `NO_PROXY` against the proxy's URL instead of the server's, and only reads `HTTPS_PROXY`; so
//! the choice is made here and set as `kube::Config::proxy_url`.

use std::net::IpAddr;

/// The proxy variables of the environment, gathered by `main` (upper case first, then lower
/// case; an empty value counts as unset, as Go's `getEnvAny` does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    pub https_proxy: Option<String>,
    pub http_proxy: Option<String>,
    pub no_proxy: Option<String>,
}

/// The proxy for requests to `server`: `kubeconfig_proxy` (the cluster's `proxy-url`) first,
/// else the environment. `Err` names a proxy URL that cannot be used.
pub fn choose(
    kubeconfig_proxy: Option<&str>,
    server: &http::Uri,
    env: &ProxyEnv,
) -> Result<Option<http::Uri>, String> {
    if let Some(p) = kubeconfig_proxy.map(str::trim).filter(|p| !p.is_empty()) {
        return parse(p, "the kubeconfig's proxy-url").map(Some);
    }
    let (value, var) = match server.scheme_str() {
        Some("https") => (env.https_proxy.as_deref(), "HTTPS_PROXY"),
        Some("http") => (env.http_proxy.as_deref(), "HTTP_PROXY"),
        _ => return Ok(None),
    };
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if !use_proxy(server, env.no_proxy.as_deref().unwrap_or("")) {
        return Ok(None);
    }
    // httpproxy `parseProxy`: a value without a scheme is an http:// proxy.
    let value = if value.contains("://") {
        value.to_string()
    } else {
        format!("http://{value}")
    };
    parse(&value, var).map(Some)
}

/// A proxy URL in a scheme the client speaks (`socks5h` is `socks5`: the proxy resolves names
/// either way, as Go's SOCKS5 dialer lets it).
fn parse(value: &str, from: &str) -> Result<http::Uri, String> {
    let value = match value.strip_prefix("socks5h://") {
        Some(rest) => format!("socks5://{rest}"),
        None => value.to_string(),
    };
    let uri: http::Uri = value
        .parse()
        .map_err(|_| format!("invalid proxy URL in {from}: {}", redact_url(&value)))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https" | "socks5"), Some(h)) if !h.is_empty() => Ok(uri),
        _ => Err(format!(
            "unsupported proxy URL in {from}: {} (use http://, https:// or socks5://)",
            redact_url(&value)
        )),
    }
}

/// `user:password@` in a URL replaced by `REDACTED@`, for messages and reports.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i + 3], &url[i + 3..]),
        None => ("", url),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}REDACTED@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// httpproxy `useProxy`: false when `server` is localhost, a loopback address, or matched by
/// one of the `NO_PROXY` entries.
fn use_proxy(server: &http::Uri, no_proxy: &str) -> bool {
    let Some(host) = server.host() else {
        return true;
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim()
        .to_ascii_lowercase();
    let port = server
        .port_u16()
        .unwrap_or(if server.scheme_str() == Some("https") {
            443
        } else {
            80
        })
        .to_string();
    if host == "localhost" {
        return false;
    }
    let ip = host.parse::<IpAddr>().ok();
    if ip.is_some_and(|ip| ip.is_loopback()) {
        return false;
    }
    !no_proxy
        .split(',')
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .any(|entry| matches(&entry, &host, &port, ip))
}

/// One `NO_PROXY` entry against the server's host and port (httpproxy `config.init` builds the
/// matchers; `cidrMatch`, `ipMatch`, `domainMatch` decide).
fn matches(entry: &str, host: &str, port: &str, ip: Option<IpAddr>) -> bool {
    if entry == "*" {
        return true;
    }
    if let Some((net, bits)) = entry.split_once('/')
        && let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>())
    {
        return ip.is_some_and(|ip| in_cidr(ip, net, bits));
    }
    // host:port, [v6]:port, or a bare host / IP (an IPv6 address has colons but no port).
    let (entry_host, entry_port) = if let Some(rest) = entry.strip_prefix('[') {
        match rest.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':').unwrap_or("")),
            None => return false,
        }
    } else if entry.parse::<IpAddr>().is_ok() {
        (entry, "")
    } else {
        match entry.rsplit_once(':') {
            Some((h, p)) => (h, p),
            None => (entry, ""),
        }
    };
    if entry_host.is_empty() {
        return false;
    }
    let port_ok = entry_port.is_empty() || entry_port == port;
    if let Ok(entry_ip) = entry_host.parse::<IpAddr>() {
        return ip == Some(entry_ip) && port_ok;
    }
    // foo.com matches foo.com and bar.foo.com; .foo.com and *.foo.com only subdomains.
    let domain = entry_host.strip_prefix('*').unwrap_or(entry_host);
    let (suffix, match_host) = match domain.strip_prefix('.') {
        Some(_) => (domain.to_string(), false),
        None => (format!(".{domain}"), true),
    };
    (host.ends_with(&suffix) || (match_host && host == &suffix[1..])) && port_ok
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(https: Option<&str>, http: Option<&str>, no: Option<&str>) -> ProxyEnv {
        ProxyEnv {
            https_proxy: https.map(str::to_string),
            http_proxy: http.map(str::to_string),
            no_proxy: no.map(str::to_string),
        }
    }

    fn chosen(kc: Option<&str>, server: &str, e: &ProxyEnv) -> Option<String> {
        choose(kc, &server.parse().unwrap(), e)
            .unwrap()
            .map(|u| u.to_string().trim_end_matches('/').to_string())
    }

    #[test]
    fn the_kubeconfig_proxy_wins_and_ignores_no_proxy() {
        let e = env(Some("http://env:3128"), Some("http://env:3128"), Some("*"));
        assert_eq!(
            chosen(Some("socks5://kc:1080"), "https://api.corp:6443", &e).as_deref(),
            Some("socks5://kc:1080")
        );
        // Even for localhost: client-go uses http.ProxyURL, which proxies everything.
        assert_eq!(
            chosen(Some("http://kc:3128"), "http://127.0.0.1:8080", &e).as_deref(),
            Some("http://kc:3128")
        );
        assert_eq!(
            chosen(Some("socks5h://kc:1080"), "https://a", &e).as_deref(),
            Some("socks5://kc:1080")
        );
    }

    #[test]
    fn the_scheme_of_the_server_picks_the_variable() {
        let e = env(Some("http://s:1"), Some("http://p:2"), None);
        assert_eq!(
            chosen(None, "https://api.corp", &e).as_deref(),
            Some("http://s:1")
        );
        assert_eq!(
            chosen(None, "http://api.corp", &e).as_deref(),
            Some("http://p:2")
        );
        let only_https = env(Some("http://s:1"), None, None);
        assert_eq!(chosen(None, "http://api.corp", &only_https), None);
        // No scheme: http://, as Go's parseProxy.
        let bare = env(Some("proxy.corp:3128"), None, None);
        assert_eq!(
            chosen(None, "https://api.corp", &bare).as_deref(),
            Some("http://proxy.corp:3128")
        );
    }

    #[test]
    fn localhost_and_loopback_are_never_proxied() {
        let e = env(Some("http://s:1"), Some("http://p:2"), None);
        for server in [
            "http://localhost:8080",
            "https://127.0.0.1:6443",
            "https://127.9.9.9",
            "https://[::1]:6443",
            "https://LOCALHOST",
        ] {
            assert_eq!(chosen(None, server, &e), None, "{server}");
        }
    }

    #[test]
    fn no_proxy_matches_the_server_as_go_does() {
        let table: &[(&str, &str, bool)] = &[
            // (NO_PROXY, server, proxied)
            ("*", "https://api.corp", false),
            ("api.corp", "https://api.corp", false),
            ("api.corp", "https://x.api.corp", false),
            ("api.corp", "https://otherapi.corp", true),
            (".corp", "https://api.corp", false),
            (".api.corp", "https://api.corp", true),
            ("*.api.corp", "https://api.corp", true),
            ("*.api.corp", "https://x.api.corp", false),
            ("api.corp:6443", "https://api.corp:6443", false),
            ("api.corp:6443", "https://api.corp", true),
            ("api.corp:443", "https://api.corp", false),
            ("10.0.0.0/8", "https://10.1.2.3:6443", false),
            ("10.0.0.0/8", "https://11.1.2.3:6443", true),
            ("10.0.0.0/8", "https://api.corp", true),
            ("192.168.1.5", "https://192.168.1.5:6443", false),
            ("192.168.1.5:6443", "https://192.168.1.5:6443", false),
            ("192.168.1.5:443", "https://192.168.1.5:6443", true),
            ("fd00::/8", "https://[fd00::1]:6443", false),
            ("[fd00::1]:6443", "https://[fd00::1]:6443", false),
            ("fd00::1", "https://[fd00::1]", false),
            (" other , API.CORP ", "https://api.corp", false),
            ("", "https://api.corp", true),
            (":6443", "https://api.corp:6443", true),
        ];
        for (no_proxy, server, proxied) in table {
            let e = env(Some("http://proxy:3128"), None, Some(no_proxy));
            assert_eq!(
                chosen(None, server, &e).is_some(),
                *proxied,
                "NO_PROXY={no_proxy:?} server={server}"
            );
        }
    }

    #[test]
    fn bad_proxy_urls_are_errors_without_their_password() {
        let e = env(Some("ftp://user:hunter2@proxy:21"), None, None);
        let err = choose(None, &"https://api.corp".parse().unwrap(), &e).unwrap_err();
        assert!(err.contains("HTTPS_PROXY"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        assert_eq!(
            redact_url("https://admin:pw@host:6443/x@y"),
            "https://REDACTED@host:6443/x@y"
        );
        assert_eq!(redact_url("https://host:6443"), "https://host:6443");
    }
}
