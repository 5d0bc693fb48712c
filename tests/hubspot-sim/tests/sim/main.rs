//! End-to-end tests of the simulator over real HTTP on 127.0.0.1.

mod associations;
mod auth;
mod binary;
mod calls;
mod common;
mod contacts;
mod control;
mod faults;
mod properties;
mod rate_limits;
mod search;
mod stats;
mod storms;
mod upsert;
