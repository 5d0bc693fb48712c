//! Values read across contract versions: 0.2.0 ⇄ the current contract.
//!
//! Records with the same fields convert field by field ([`same_fields!`]);
//! variants that changed are spelled out. Only the directions the host needs
//! exist: what the host hands a 0.2.0 guest (arguments, import results) goes
//! `now → old`, what the guest hands back goes `old → now`.

use super::bindings as old;
use crate::bindings as now;

/// How a 0.2.0 `validation` reason said the CRM no longer has the field.
const FIELD_REMOVED_PREFIX: &str = "field-removed: ";

/// A value of one contract version as the other version's type.
pub(crate) trait Convert<T> {
    /// The converted value.
    fn convert(self) -> T;
}

/// Plain values are the same in every version.
macro_rules! unchanged {
    ($($t:ty),*) => {$(
        impl Convert<$t> for $t {
            fn convert(self) -> $t {
                self
            }
        }
    )*};
}
unchanged!(String, bool, u8, u16, u32, u64, i64, f64);

impl<A: Convert<B>, B> Convert<Vec<B>> for Vec<A> {
    fn convert(self) -> Vec<B> {
        self.into_iter().map(Convert::convert).collect()
    }
}

impl<A: Convert<B>, B> Convert<Option<B>> for Option<A> {
    fn convert(self) -> Option<B> {
        self.map(Convert::convert)
    }
}

impl<A: Convert<C>, B: Convert<D>, C, D> Convert<(C, D)> for (A, B) {
    fn convert(self) -> (C, D) {
        (self.0.convert(), self.1.convert())
    }
}

/// A record type whose fields are the same in both versions (each field converted).
macro_rules! same_fields {
    ($from:ty => $to:ident { $($field:ident),* $(,)? }) => {
        impl Convert<$to> for $from {
            fn convert(self) -> $to {
                $to { $($field: self.$field.convert()),* }
            }
        }
    };
}

/// A variant whose cases are the same in both versions (each payload converted).
macro_rules! same_cases {
    ($from:ident => $to:ident { $($case:ident $(($x:ident))?),* $(,)? }) => {
        impl Convert<$to> for $from {
            fn convert(self) -> $to {
                match self {
                    $($from::$case $(($x))? => $to::$case $(($x.convert()))?),*
                }
            }
        }
    };
}

// Host → 0.2.0 guest: arguments of the guest's exports.
mod to_old {
    use super::*;
    use now::types::{CrmResponse, Field, Payload, PushContext, Record, Value};
    use old::types::{
        CrmResponse as OCrmResponse, Field as OField, Payload as OPayload,
        PushContext as OPushContext, Record as ORecord, Value as OValue,
    };

    same_fields!(Record => ORecord { id, kind, fields });
    same_fields!(Field => OField { name, value });
    same_cases!(Value => OValue { Null, Text(x), Integer(x), Number(x), Boolean(x), Timestamp(x), Json(x) });
    same_fields!(Payload => OPayload { object, body });
    same_fields!(PushContext => OPushContext { tenant, idempotency_key, trace_id, attempt });
    same_fields!(CrmResponse => OCrmResponse { status, headers, body });
}

// Host → 0.2.0 guest: results of the host's imports.
mod results_to_old {
    use super::*;
    use now::http::{Error, Response, Throttled, Timeout, TimeoutPhase};
    use old::http::{
        Error as OError, Response as OResponse, Throttled as OThrottled, Timeout as OTimeout,
        TimeoutPhase as OTimeoutPhase,
    };

    same_fields!(Response => OResponse { status, headers, body });
    same_fields!(Timeout => OTimeout { phase, limit_ms });
    same_fields!(Throttled => OThrottled { wait_ms, budget });
    same_cases!(TimeoutPhase => OTimeoutPhase { Connect, TlsHandshake, Total });
    same_cases!(Error => OError {
        Denied(x), Timeout(x), Throttled(x), Connect(x), Tls(x), TooLarge(x), InvalidRequest(x),
    });

    use now::state::Error as StateError;
    use old::state::Error as OStateError;
    same_cases!(StateError => OStateError { KeyTooLong(x), ValueTooLarge(x), TooManyKeys(x), Storage(x) });

    use now::queue::Error as QueueError;
    use old::queue::Error as OQueueError;
    same_cases!(QueueError => OQueueError { TooLarge(x), Storage(x) });
}

// 0.2.0 guest → host: what the guest's exports return.
mod from_old {
    use super::*;
    use now::types::{
        CrmRef, CrmResponse, Descriptor, Effect, ErrorClass, Field, FieldError, LimitScope,
        Payload, PushError, PushOutcome, PushStatus, RateLimit, RateLimited, Record, RequestCost,
        Value,
    };
    use old::types::{
        CrmRef as OCrmRef, CrmResponse as OCrmResponse, Descriptor as ODescriptor,
        Effect as OEffect, ErrorClass as OErrorClass, Field as OField, FieldError as OFieldError,
        LimitScope as OLimitScope, Payload as OPayload, PushError as OPushError,
        PushOutcome as OPushOutcome, PushStatus as OPushStatus, RateLimit as ORateLimit,
        RateLimited as ORateLimited, Record as ORecord, RequestCost as ORequestCost,
        Value as OValue,
    };

    same_fields!(ODescriptor => Descriptor {
        name, version, crm, record_kinds, outbound_hosts, config_keys, secret_names,
        owned_fields, rate_limits,
    });
    same_fields!(ORateLimit => RateLimit { name, tokens, window_ms, scope, costs, default_cost });
    same_fields!(ORequestCost => RequestCost { method, path_prefix, cost });
    same_cases!(OLimitScope => LimitScope { Burst, Daily });
    same_fields!(ORecord => Record { id, kind, fields });
    same_fields!(OField => Field { name, value });
    same_cases!(OValue => Value { Null, Text(x), Integer(x), Number(x), Boolean(x), Timestamp(x), Json(x) });
    same_fields!(OFieldError => FieldError { field, reason });
    same_fields!(OPayload => Payload { object, body });
    same_fields!(OPushOutcome => PushOutcome { status, primary, related, effects });
    same_cases!(OPushStatus => PushStatus { Created, Updated, AlreadyPresent });
    same_fields!(OCrmRef => CrmRef { object, id });
    same_fields!(OEffect => Effect { action, target });
    same_fields!(OCrmResponse => CrmResponse { status, headers, body });
    same_fields!(ORateLimited => RateLimited { retry_after_ms, scope, policy });
    same_cases!(OPushError => PushError { Response(x), Classified(x) });

    impl Convert<ErrorClass> for OErrorClass {
        fn convert(self) -> ErrorClass {
            match self {
                OErrorClass::Transient(x) => ErrorClass::Transient(x),
                OErrorClass::RateLimited(x) => ErrorClass::RateLimited(x.convert()),
                OErrorClass::Auth(x) => ErrorClass::Auth(x),
                OErrorClass::Permission(x) => ErrorClass::Permission(x),
                OErrorClass::NotFound(x) => ErrorClass::NotFound(x),
                // 0.2.0 said "the field is gone" with a reason prefix.
                OErrorClass::Validation(e) => match e.reason.strip_prefix(FIELD_REMOVED_PREFIX) {
                    Some(rest) => ErrorClass::FieldRemoved(FieldError {
                        field: e.field,
                        reason: rest.to_owned(),
                    }),
                    None => ErrorClass::Validation(e.convert()),
                },
                OErrorClass::Duplicate(x) => ErrorClass::Duplicate(x),
                OErrorClass::Permanent(x) => ErrorClass::Permanent(x),
            }
        }
    }
}

// 0.2.0 guest → host: arguments of the host's imports.
mod args_from_old {
    use super::*;
    use now::http::{Request, SecretHeader};
    use old::http::{Request as ORequest, SecretHeader as OSecretHeader};

    same_fields!(ORequest => Request { method, url, headers, secret_headers, body, timeout_ms });
    same_fields!(OSecretHeader => SecretHeader { name, secret, prefix });

    use now::log::Level;
    use old::log::Level as OLevel;
    same_cases!(OLevel => Level { Trace, Debug, Info, Warn, Error });

    use now::queue::Job;
    use old::queue::Job as OJob;
    same_fields!(OJob => Job { kind, payload, delay_ms });

    use now::limits::BudgetReport;
    use old::limits::BudgetReport as OBudgetReport;
    same_fields!(OBudgetReport => BudgetReport { budget, remaining, limit, reset_ms });
}

#[cfg(test)]
mod tests {
    use super::*;
    use now::types::{ErrorClass, Field, Record, Value};
    use old::types::{ErrorClass as OErrorClass, FieldError as OFieldError};

    fn validation(reason: &str) -> OErrorClass {
        OErrorClass::Validation(OFieldError {
            field: "hs_call_mood".into(),
            reason: reason.into(),
        })
    }

    #[test]
    fn a_field_removed_reason_becomes_the_field_removed_class() {
        let got: ErrorClass = validation("field-removed: Property does not exist").convert();
        let ErrorClass::FieldRemoved(e) = got else {
            panic!("{got:?}")
        };
        assert_eq!(
            (e.field.as_str(), e.reason.as_str()),
            ("hs_call_mood", "Property does not exist")
        );
    }

    #[test]
    fn any_other_validation_stays_validation() {
        let got: ErrorClass = validation("must be a number").convert();
        assert!(
            matches!(got, ErrorClass::Validation(ref e) if e.reason == "must be a number"),
            "{got:?}"
        );
    }

    #[test]
    fn a_record_survives_the_round_trip() {
        let rec = Record {
            id: "c1".into(),
            kind: "call".into(),
            fields: [
                Value::Null,
                Value::Text("t".into()),
                Value::Integer(-7),
                Value::Number(1.5),
                Value::Boolean(true),
                Value::Timestamp("2026-01-01T00:00:00Z".into()),
                Value::Json("[1]".into()),
            ]
            .into_iter()
            .enumerate()
            .map(|(i, value)| Field {
                name: format!("f{i}"),
                value,
            })
            .collect(),
        };
        let there: old::types::Record = rec.clone().convert();
        let back: Record = there.convert();
        assert_eq!(back, rec);
    }

    #[test]
    fn http_errors_keep_their_case_and_detail() {
        let err = now::http::Error::Timeout(now::http::Timeout {
            phase: now::http::TimeoutPhase::TlsHandshake,
            limit_ms: 900,
        });
        let got: old::http::Error = err.convert();
        assert!(
            matches!(got, old::http::Error::Timeout(ref t)
                if t.limit_ms == 900 && matches!(t.phase, old::http::TimeoutPhase::TlsHandshake)),
            "{got:?}"
        );
    }
}
