//! Word-at-a-time `memcmp` and `bcmp` for WebAssembly guests.
//!
//! wasi-libc's versions compare one byte per iteration. Connectors compare
//! long strings often (the phone library looks up every pattern by its
//! full source text, up to about 1 KB, on each match), and there the byte
//! loop dominates. These compare eight bytes at a time and are linked
//! instead of libc's (an archive member is only pulled in for symbols still
//! undefined). The C symbols are only exported on `wasm32`; the comparison
//! itself is tested natively.

/// Index of the first differing byte within the first `n` bytes, if any.
///
/// # Safety
/// `a` and `b` must be valid for reads of `n` bytes.
#[inline(always)]
unsafe fn first_difference(a: *const u8, b: *const u8, n: usize) -> Option<usize> {
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 <= n, and both pointers are valid for n bytes.
        let (x, y) = unsafe {
            (
                (a.add(i) as *const u64).read_unaligned(),
                (b.add(i) as *const u64).read_unaligned(),
            )
        };
        if x != y {
            break;
        }
        i += 8;
    }
    while i < n {
        // SAFETY: i < n.
        if unsafe { *a.add(i) != *b.add(i) } {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// C `memcmp`.
///
/// # Safety
/// `a` and `b` must be valid for reads of `n` bytes.
#[cfg_attr(target_arch = "wasm32", unsafe(no_mangle))]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: forwarded from the caller.
    match unsafe { first_difference(a, b, n) } {
        // SAFETY: i < n.
        Some(i) => unsafe { i32::from(*a.add(i)) - i32::from(*b.add(i)) },
        None => 0,
    }
}

/// C `bcmp`: zero when equal.
///
/// # Safety
/// `a` and `b` must be valid for reads of `n` bytes.
#[cfg_attr(target_arch = "wasm32", unsafe(no_mangle))]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: forwarded from the caller.
    i32::from(unsafe { first_difference(a, b, n) }.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &[u8], b: &[u8]) -> (i32, i32) {
        assert_eq!(a.len(), b.len());
        // SAFETY: both slices hold `len` bytes.
        unsafe {
            (
                memcmp(a.as_ptr(), b.as_ptr(), a.len()),
                bcmp(a.as_ptr(), b.as_ptr(), a.len()),
            )
        }
    }

    #[test]
    fn agrees_with_slice_ordering_at_every_length_and_position() {
        for len in 0..40usize {
            let base: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            assert_eq!(cmp(&base, &base), (0, 0), "equal, len {len}");
            for pos in 0..len {
                for delta in [1u8, 200] {
                    let mut other = base.clone();
                    other[pos] = other[pos].wrapping_add(delta);
                    let (m, b) = cmp(&base, &other);
                    assert_eq!(
                        m.signum(),
                        (base.cmp(&other) as i32).signum(),
                        "len {len} pos {pos}"
                    );
                    assert_eq!(m, i32::from(base[pos]) - i32::from(other[pos]));
                    assert_ne!(b, 0);
                }
            }
        }
    }
}
