//! What a CRM allows: rate-limit budgets, what each request costs, and the
//! limiter's own settings.

use std::time::Duration;

/// How a budget counts its tokens over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// At most `tokens` in any window of `window` length (a sliding window).
    Rolling,
    /// A quota of `tokens` that resets at a fixed time every `window` (normally
    /// 24 h), first at [`LimiterConfig::first_daily_reset_in`].
    Daily,
}

/// The cost of the requests that match a method and a path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestCost {
    /// HTTP method in upper case (matched ignoring ASCII case); empty matches any method.
    pub method: String,
    /// The request path must start with this; empty matches every path.
    pub path_prefix: String,
    /// Tokens one matching request spends; 0 means the budget does not count it.
    pub cost: u32,
}

/// One rate limit the CRM enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetSpec {
    /// Name used in feedback ([`Report::budget`](crate::Report::budget)), errors and status.
    pub name: String,
    /// Tokens allowed per window.
    pub tokens: u64,
    /// Window length (rolling) or reset period (daily).
    pub window: Duration,
    /// How the window is counted.
    pub scope: Scope,
    /// Costs by method and path prefix; the first match wins.
    pub costs: Vec<RequestCost>,
    /// Cost of a request no entry of `costs` matches.
    pub default_cost: u32,
}

impl BudgetSpec {
    /// The cost of one request: the first entry of `costs` whose method is empty
    /// or equal ignoring ASCII case and whose prefix starts `path`, else `default_cost`.
    pub fn cost_of(&self, method: &str, path: &str) -> u32 {
        self.costs
            .iter()
            .find(|c| {
                (c.method.is_empty() || c.method.eq_ignore_ascii_case(method))
                    && path.starts_with(&c.path_prefix)
            })
            .map_or(self.default_cost, |c| c.cost)
    }

    /// The smallest positive cost any request can have against this budget.
    /// The largest cost of any request against this budget.
    pub(crate) fn max_cost(&self) -> u32 {
        self.costs
            .iter()
            .map(|c| c.cost)
            .chain([self.default_cost])
            .max()
            .unwrap_or(0)
    }

    pub(crate) fn min_positive_cost(&self) -> Option<u32> {
        self.costs
            .iter()
            .map(|c| c.cost)
            .chain([self.default_cost])
            .filter(|&c| c > 0)
            .min()
    }
}

/// Settings of one [`Limiter`](crate::Limiter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimiterConfig {
    /// Every budget a request must fit in.
    pub budgets: Vec<BudgetSpec>,
    /// The longest [`Limiter::acquire`](crate::Limiter::acquire) may wait.
    pub max_wait: Duration,
    /// Time until the first daily reset; `None`: the next UTC midnight by the system clock.
    pub first_daily_reset_in: Option<Duration>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(costs: Vec<RequestCost>, default_cost: u32) -> BudgetSpec {
        BudgetSpec {
            name: "api".into(),
            tokens: 100,
            window: Duration::from_secs(10),
            scope: Scope::Rolling,
            costs,
            default_cost,
        }
    }

    fn cost(method: &str, path_prefix: &str, cost: u32) -> RequestCost {
        RequestCost {
            method: method.into(),
            path_prefix: path_prefix.into(),
            cost,
        }
    }

    #[test]
    fn cost_of_takes_first_match_then_default() {
        let s = spec(
            vec![
                cost("POST", "/crm/v3/objects/contacts/search", 5),
                cost("", "/crm/v3/objects/contacts", 2),
                cost("GET", "/health", 0),
            ],
            1,
        );
        assert_eq!(s.cost_of("post", "/crm/v3/objects/contacts/search"), 5);
        assert_eq!(s.cost_of("GET", "/crm/v3/objects/contacts/search"), 2);
        assert_eq!(s.cost_of("PATCH", "/crm/v3/objects/contacts/42"), 2);
        assert_eq!(s.cost_of("GET", "/health"), 0);
        assert_eq!(s.cost_of("POST", "/health"), 1);
        assert_eq!(s.cost_of("GET", "/crm/v3/objects/deals"), 1);
    }

    #[test]
    fn min_positive_cost_ignores_zeros() {
        assert_eq!(
            spec(vec![cost("GET", "/", 0)], 3).min_positive_cost(),
            Some(3)
        );
        assert_eq!(
            spec(vec![cost("GET", "/", 2)], 3).min_positive_cost(),
            Some(2)
        );
        assert_eq!(spec(vec![], 0).min_positive_cost(), None);
    }
}
