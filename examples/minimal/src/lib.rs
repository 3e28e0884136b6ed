//! The smallest operator crate on kgen: API types, the code `kgen client` wrote for them (checked
//! in under `src/generated`), and `kgen-runtime`. It builds without the generator: its normal and
//! build dependencies hold no kgen-build, syn 3, prettyplease, clap or CEL parser (checked by
//! `tests/dependencies.rs`).
//!
//! Regenerate after changing `src/api`:
//!
//! ```text
//! kgen client --paths examples/minimal/src/api --out examples/minimal/src/generated
//! ```

pub mod api;
#[rustfmt::skip] // kept byte-identical to what `kgen client` writes (tests/generated.rs checks it)
#[allow(missing_docs, clippy::all)]
pub mod generated;
