//! What handlers see of a request: method, path segments, query, bearer token, body.

use std::collections::BTreeMap;

use bytes::Bytes;

/// A request with its body read (within the size limit).
pub(crate) struct ApiRequest {
    pub method: hyper::Method,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub bearer: Option<String>,
    pub body: Bytes,
}

impl ApiRequest {
    /// The path's segments after the leading `/`, percent-decoded.
    pub fn segments(&self) -> Vec<String> {
        self.path
            .trim_start_matches('/')
            .split('/')
            .map(|s| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// A query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// A numeric query parameter; an unparsable value is an error naming it.
    pub fn number(&self, name: &str) -> Result<Option<u64>, String> {
        match self.param(name) {
            None | Some("") => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| format!("query parameter {name:?}: {v:?} is not a whole number")),
        }
    }
}

/// Parses `a=1&b=x%20y`.
pub(crate) fn parse_query(query: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// The token of an `Authorization: Bearer <token>` header.
pub(crate) fn bearer(header: Option<&str>) -> Option<String> {
    let value = header?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bearer_tokens_and_queries() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc".into()));
        assert_eq!(bearer(Some("bearer  abc ")), Some("abc".into()));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(None), None);
        let q = parse_query("record_id=a%20b&limit=5");
        assert_eq!(q.get("record_id").map(String::as_str), Some("a b"));
    }
}
