//! Benchmarks live in `benches/`; see the README for numbers and how to run them.
