//! A scripted stand-in for the host: canned HubSpot answers in order,
//! an in-memory `state`, and everything the connector sent or noted.

use std::collections::{BTreeMap, VecDeque};

use serde_json::Value as Json;
use switchboard_sdk::http::{HttpError, Response};
use switchboard_sdk::prelude::*;

use crate::host::Host;

/// One request the connector sent (`body` is `null` when it had none).
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub method: String,
    pub path: String,
    pub body: Json,
}

/// The fake host.
#[derive(Default)]
pub(crate) struct Fake {
    /// Answers, each for the path it expects.
    pub script: VecDeque<(&'static str, Result<Response, HttpError>)>,
    pub sent: Vec<Sent>,
    pub state: BTreeMap<String, String>,
    pub notes: Vec<(String, String)>,
    pub warnings: Vec<String>,
    pub region: String,
}

impl Fake {
    /// A fake with region `US`.
    pub(crate) fn new() -> Self {
        Fake {
            region: "US".into(),
            ..Fake::default()
        }
    }
    /// Queues an answer for a request to `path`.
    pub(crate) fn answer(mut self, path: &'static str, status: u16, body: &str) -> Self {
        let resp = Response {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        };
        self.script.push_back((path, Ok(resp)));
        self
    }
    /// Queues a transport failure for a request to `path`.
    pub(crate) fn fail(mut self, path: &'static str, e: HttpError) -> Self {
        self.script.push_back((path, Err(e)));
        self
    }
    /// Presets a `state` entry.
    pub(crate) fn with_state(mut self, key: &str, value: &str) -> Self {
        self.state.insert(key.into(), value.into());
        self
    }
    /// The paths requested, in order.
    pub(crate) fn paths(&self) -> Vec<&str> {
        self.sent.iter().map(|s| s.path.as_str()).collect()
    }
    /// The audit note under `key`, if any.
    pub(crate) fn note(&self, key: &str) -> Option<&str> {
        self.notes
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl Host for Fake {
    fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Json>,
    ) -> Result<Response, HttpError> {
        self.sent.push(Sent {
            method: method.into(),
            path: path.into(),
            body: body.cloned().unwrap_or(Json::Null),
        });
        let (want, answer) = self
            .script
            .pop_front()
            .unwrap_or_else(|| panic!("unscripted {method} {path}"));
        assert_eq!(
            want,
            path,
            "request {} went to the wrong path",
            self.sent.len()
        );
        answer
    }
    fn state_get(&mut self, key: &str) -> Result<Option<String>, ErrorClass> {
        Ok(self.state.get(key).cloned())
    }
    fn state_set(&mut self, key: &str, value: &str) -> Result<(), ErrorClass> {
        self.state.insert(key.into(), value.into());
        Ok(())
    }
    fn state_remove(&mut self, key: &str) -> Result<(), ErrorClass> {
        self.state.remove(key);
        Ok(())
    }
    fn annotate(&mut self, key: &str, value: &str) {
        self.notes.push((key.into(), value.into()));
    }
    fn warn(&mut self, message: &str) {
        self.warnings.push(message.into());
    }
    fn region(&self) -> &str {
        &self.region
    }
}
