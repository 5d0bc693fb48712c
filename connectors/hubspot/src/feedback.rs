//! What HubSpot's rate-limit headers say, as reports for the host
//! (`crm-api-facts.md` §1.2). Search responses carry no such headers, and
//! OAuth calls carry no daily pair: a missing header just means no report.

use switchboard_sdk::http::Response;
use switchboard_sdk::limits::{BudgetReport, header_u64};

/// The budget names `describe` declares.
pub(crate) const TEN_SECONDLY: &str = "ten-secondly";
/// The daily budget.
pub(crate) const DAILY: &str = "daily";
/// The search budget (4 per second per token).
pub(crate) const SEARCH: &str = "search";

/// One report per budget the response's headers speak about.
pub(crate) fn reports(resp: &Response) -> Vec<BudgetReport> {
    let mut out = Vec::new();
    let remaining = header_u64(resp, "x-hubspot-ratelimit-remaining");
    if remaining.is_some() {
        out.push(BudgetReport {
            budget: TEN_SECONDLY.into(),
            remaining,
            limit: header_u64(resp, "x-hubspot-ratelimit-max"),
            reset_ms: None,
        });
    }
    let daily = header_u64(resp, "x-hubspot-ratelimit-daily-remaining");
    if daily.is_some() {
        out.push(BudgetReport {
            budget: DAILY.into(),
            remaining: daily,
            limit: header_u64(resp, "x-hubspot-ratelimit-daily"),
            reset_ms: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(headers: &[(&str, &str)]) -> Response {
        Response {
            status: 200,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn reads_the_burst_and_daily_headers() {
        let r = reports(&response(&[
            ("x-hubspot-ratelimit-max", "190"),
            ("x-hubspot-ratelimit-remaining", "17"),
            ("x-hubspot-ratelimit-daily", "650000"),
            ("x-hubspot-ratelimit-daily-remaining", "1200"),
        ]));
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].budget.as_str(), r[0].remaining, r[0].limit),
            (TEN_SECONDLY, Some(17), Some(190))
        );
        assert_eq!(
            (r[1].budget.as_str(), r[1].remaining, r[1].limit),
            (DAILY, Some(1200), Some(650_000))
        );
    }

    #[test]
    fn no_headers_no_reports() {
        assert!(reports(&response(&[])).is_empty());
        let oauth = reports(&response(&[("x-hubspot-ratelimit-remaining", "3")]));
        assert_eq!(oauth.len(), 1);
        assert_eq!(oauth[0].limit, None);
    }
}
