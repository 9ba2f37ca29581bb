//! Refusing webhook targets on loopback, private, link-local and other non-public
//! addresses (unless the operator allows them): a merchant must not make the gateway
//! call into the operator's own network.

use std::net::IpAddr;

/// Whether `ip` is a public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1])) // shared address space
                || (o[0] == 198 && (o[1] == 18 || o[1] == 19)) // benchmarking
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link local
                || s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        }
    }
}

/// Why a target URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Not an absolute http(s) URL with a host.
    #[error("must be an http:// or https:// URL with a host")]
    Url,
    /// The host does not resolve.
    #[error("the host does not resolve")]
    Resolve,
    /// The host is or resolves to a non-public address.
    #[error("{0} is not a public address (loopback and private targets are not allowed)")]
    Private(IpAddr),
}

/// Checks `url`: http(s), a host, and (unless `allow_private`) every address it
/// resolves to is public.
pub async fn check(url: &str, allow_private: bool) -> Result<(), TargetError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| TargetError::Url)?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(TargetError::Url);
    }
    let host = parsed.host_str().ok_or(TargetError::Url)?;
    if allow_private {
        return Ok(());
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| TargetError::Resolve)?
            .map(|a| a.ip())
            .collect(),
    };
    if addrs.is_empty() {
        return Err(TargetError::Resolve);
    }
    match addrs.into_iter().find(|ip| !is_public(*ip)) {
        Some(ip) => Err(TargetError::Private(ip)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_private_targets() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://169.254.169.254/latest",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://0.0.0.0/",
        ] {
            assert!(
                matches!(check(url, false).await, Err(TargetError::Private(_))),
                "{url}"
            );
            assert_eq!(check(url, true).await, Ok(()), "{url}");
        }
        assert_eq!(
            check("ftp://example.com/", true).await,
            Err(TargetError::Url)
        );
        assert_eq!(check("not a url", true).await, Err(TargetError::Url));
        assert_eq!(check("https://93.184.215.14/hook", false).await, Ok(()));
    }
}
