//! Reading a `/folder` request: the file path (percent-decoded, refused
//! when it would leave the datastore) and the `Range` header.

use axum::http::{HeaderMap, StatusCode, header};

pub(super) fn no(status: StatusCode, msg: impl Into<String>) -> (StatusCode, String) {
    (status, msg.into())
}

/// The file path after `/folder/`, percent-decoded and refused when it could
/// leave the datastore: `..`/`.` elements, a leading `/`, backslashes or NULs.
pub(super) fn safe_path(raw: &str) -> Result<String, (StatusCode, String)> {
    let path = decode(raw).ok_or_else(|| {
        no(
            StatusCode::BAD_REQUEST,
            "the path is not valid UTF-8 percent-encoding",
        )
    })?;
    if path.is_empty() {
        return Err(no(
            StatusCode::BAD_REQUEST,
            "a file path after /folder/ is required",
        ));
    }
    let climbs = path.starts_with('/')
        || path.contains('\\')
        || path.contains('\0')
        || path.split('/').any(|s| s == ".." || s == ".");
    if climbs {
        return Err(no(
            StatusCode::FORBIDDEN,
            format!("403 Forbidden: the path '{path}' leaves the datastore"),
        ));
    }
    let path = path.trim_end_matches('/');
    if path.split('/').any(str::is_empty) {
        return Err(no(
            StatusCode::BAD_REQUEST,
            format!("the path '{path}' has an empty element"),
        ));
    }
    Ok(path.to_string())
}

/// Percent-decoding; `None` for a bad escape or bytes that are not UTF-8.
pub(super) fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `Range: bytes=a-b | a- | -n` over a file of `size` bytes: the inclusive
/// span, `Ok(None)` without a header, `Err` for one that cannot be met.
pub(super) fn range(headers: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(v) = headers.get(header::RANGE) else {
        return Ok(None);
    };
    let spec = v.to_str().map_err(|_| ())?.trim();
    let spec = spec.strip_prefix("bytes=").ok_or(())?;
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| ())?;
            if n == 0 {
                return Err(());
            }
            (size.saturating_sub(n), size.checked_sub(1).ok_or(())?)
        }
        (a, "") => (a.parse().map_err(|_| ())?, size.checked_sub(1).ok_or(())?),
        (a, b) => {
            let (a, b): (u64, u64) = (a.parse().map_err(|_| ())?, b.parse().map_err(|_| ())?);
            (a, b.min(size.saturating_sub(1)))
        }
    };
    if start >= size || start > end {
        return Err(());
    }
    Ok(Some((start, end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_datastore_are_refused() {
        for p in [
            "..",
            "a/../b",
            "%2e%2e/x",
            "%2E%2E%2Fetc",
            "/etc/passwd",
            "%2fetc",
            "a\\b",
            "./a",
        ] {
            assert_eq!(
                safe_path(p).map_err(|e| e.0),
                Err(StatusCode::FORBIDDEN),
                "{p}"
            );
        }
        assert_eq!(
            safe_path("iso/a%20b.iso").ok().as_deref(),
            Some("iso/a b.iso")
        );
        assert_eq!(safe_path("").map_err(|e| e.0), Err(StatusCode::BAD_REQUEST));
        assert_eq!(
            safe_path("%zz").map_err(|e| e.0),
            Err(StatusCode::BAD_REQUEST)
        );
    }

    #[test]
    fn ranges_are_read_as_http_says() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::RANGE, v.parse().expect("header"));
            m
        };
        assert_eq!(range(&HeaderMap::new(), 10), Ok(None));
        assert_eq!(range(&h("bytes=2-4"), 10), Ok(Some((2, 4))));
        assert_eq!(range(&h("bytes=5-"), 10), Ok(Some((5, 9))));
        assert_eq!(range(&h("bytes=-3"), 10), Ok(Some((7, 9))));
        assert_eq!(range(&h("bytes=8-100"), 10), Ok(Some((8, 9))));
        assert_eq!(range(&h("bytes=10-"), 10), Err(()));
        assert_eq!(range(&h("bytes=4-2"), 10), Err(()));
        assert_eq!(range(&h("lines=1-2"), 10), Err(()));
    }
}
