//! A connector that hands the host one buffer many times over, at the canonical-ABI
//! level: kind `alias` makes `normalize` return 120 field errors whose reasons all point
//! at the same 1 MiB of guest memory. The guest spends 1 MiB; a host that lifted it would
//! copy 120 MiB. Kind `echo` behaves.
//!
//! The SDK's bindings pass a `String`'s own buffer to the host, so `String`s built over one
//! buffer alias it. Their frees after the call would free that buffer 120 times, so this
//! guest's allocator never frees (each instance lives for one call anyway).

use std::alloc::{GlobalAlloc, Layout, System};

use switchboard_sdk::prelude::*;

/// The system allocator without frees.
struct NeverFree;

// SAFETY: allocation is the system allocator's; not freeing is always sound.
unsafe impl GlobalAlloc for NeverFree {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static ALLOCATOR: NeverFree = NeverFree;

/// Reasons returned by `alias`, all over one buffer.
const ALIASES: usize = 120;

struct Aliasing;

impl Connector for Aliasing {
    fn describe() -> Descriptor {
        Descriptor::new("aliasing", "0.1.0", "None").kinds(["echo", "alias"])
    }

    fn prepare() {}

    fn normalize(rec: Record) -> Result<Record, Vec<FieldError>> {
        if rec.kind != "alias" {
            return Ok(rec);
        }
        let buffer: &'static mut [u8] = Box::leak(vec![b'a'; 1 << 20].into_boxed_slice());
        let (ptr, len) = (buffer.as_mut_ptr(), buffer.len());
        Err((0..ALIASES)
            .map(|_| FieldError {
                field: "fields.alias".into(),
                // SAFETY: the bytes are initialised ASCII, live forever (leaked), and are
                // never freed (see `NeverFree`); no `String` over them is ever written.
                reason: unsafe { String::from_raw_parts(ptr, len, len) },
            })
            .collect())
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
        ErrorClass::Permanent("aliasing makes no requests".into())
    }
}

switchboard_sdk::export_connector!(Aliasing);
