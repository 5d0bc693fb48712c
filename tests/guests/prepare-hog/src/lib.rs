//! A connector whose `prepare` builds a table of `PREPARE_MIB` MiB (200 as built) and
//! keeps it, the way a connector might keep a large lookup table warm. It touches one
//! byte in every 64 KiB, so the memory grows to the full size while the snapshot stays
//! small.
//!
//! The size is read at run time from [`SIZE`], a marker in the data segment that tests
//! rewrite in a copy of the `.wasm` (same length, e.g. `PREPARE_MIB=0300;`) to load the
//! same component with another size, over the host's load limit.
//!
//! `normalize` reads the table back and answers `table-mib=<n> touched=<bytes set>` in
//! field `table`, so a test sees the table survived the snapshot; `push` reports `created`.

use std::sync::OnceLock;

use switchboard_sdk::prelude::*;

/// The marker tests rewrite: four decimal digits of MiB between `=` and `;`.
#[unsafe(no_mangle)]
#[used]
pub static SIZE: [u8; 17] = *b"PREPARE_MIB=0200;";

/// The table built in `prepare`, read back by `normalize` (so it must really exist).
static TABLE: OnceLock<&'static [u8]> = OnceLock::new();

/// One touched byte in every this many.
const STRIDE: usize = 64 << 10;

/// The size in MiB the marker says, read so the compiler cannot fold it.
fn size_mib() -> usize {
    // SAFETY: `SIZE` is a static of 17 initialised bytes; a volatile read of each keeps
    // the value the file holds rather than the one compiled in.
    let bytes: Vec<u8> = (0..SIZE.len())
        .map(|i| unsafe { std::ptr::read_volatile(SIZE.as_ptr().add(i)) })
        .collect();
    std::str::from_utf8(&bytes[12..16])
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0)
}

struct Hog;

impl Connector for Hog {
    fn describe() -> Descriptor {
        Descriptor::new("prepare-hog", "0.1.0", "None").kinds(["echo"])
    }

    fn prepare() {
        let mut table = vec![0u8; size_mib() << 20];
        for i in (0..table.len()).step_by(STRIDE) {
            table[i] = 1;
        }
        let _ = TABLE.set(Box::leak(std::hint::black_box(table).into_boxed_slice()));
    }

    fn normalize(mut rec: Record) -> Result<Record, Vec<FieldError>> {
        let table = TABLE.get().copied().unwrap_or_default();
        let touched: usize = table.iter().step_by(STRIDE).map(|&b| usize::from(b)).sum();
        let mib = table.len() >> 20;
        rec.set(
            "table",
            Value::Text(format!("table-mib={mib} touched={touched}")),
        );
        Ok(rec)
    }

    fn map_fields(rec: Record) -> Result<Payload, Vec<FieldError>> {
        Ok(Payload {
            object: "echo".into(),
            body: format!("{{\"id\":{:?}}}", rec.id),
        })
    }

    fn push(_ctx: PushContext, rec: Record, _payload: Payload) -> Result<PushOutcome, PushError> {
        Ok(PushOutcome::created(CrmRef::new("echo", rec.id)))
    }

    fn classify_error(_resp: CrmResponse) -> ErrorClass {
        ErrorClass::Permanent("prepare-hog makes no requests".into())
    }
}

switchboard_sdk::export_connector!(Hog);
