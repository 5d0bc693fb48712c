//! End-to-end tests of the simulator over real HTTP on 127.0.0.1.

mod auth;
mod binary;
mod calls;
mod common;
mod contacts;
mod control;
mod faults;
mod rate_limits;
mod search;
