//! Form and query parameters, parsed strictly: RFC 6749 §3.1 forbids a
//! parameter appearing twice, and a repeated one is a classic way to make two
//! parsers disagree.

use std::collections::HashMap;

/// Parses `a=b&c=d`; `Err(name)` names a repeated parameter.
pub fn parse(raw: &str) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
        if v.is_empty() {
            continue;
        }
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(k.to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn repeated_parameters_are_refused() {
        assert!(super::parse("a=1&a=2").is_err());
        assert_eq!(super::parse("a=1&b=").ok().map(|m| m.len()), Some(1));
    }
}
