//! The isolate's version, in two words of the wasm's memory that `src/entry.js` reads without
//! calling into the wasm: a counter that changes whenever anything an answer kept by the hot
//! path depends on changes (an isolate-cache entry written or dropped, `store::cache`; a machine
//! token counted in the tally, `http::audit`), and beside it the count of answers `src/entry.js`
//! gave again from its own map, which it increments itself (the debug probe's
//! `hot_routes::answered`).
//!
//! Why in memory: asking an exported function whether a kept answer is current cost each
//! repeat about 0.002 ms, a thirtieth of a discovery answer (bench/README.md); reading a word
//! of a `Uint32Array` over the memory costs next to nothing. The words are atomics so that a
//! change made from outside the wasm is never assumed away by the compiler; the wasm itself
//! runs on one thread, so `Relaxed` is all the ordering there is to have.

use std::sync::atomic::{AtomicU32, Ordering};

static VERSION: AtomicU32 = AtomicU32::new(0);
static REPEATS: AtomicU32 = AtomicU32::new(0);

/// The version now (wrapping: an answer kept across exactly 2^32 changes would be taken for
/// current; at one cache write per KV read per 10 s, never).
pub fn get() -> u32 {
    VERSION.load(Ordering::Relaxed)
}

/// Something a kept answer may depend on has changed.
pub fn bump() {
    VERSION.fetch_add(1, Ordering::Relaxed);
}

/// How many answers `src/entry.js` has given again from its map (wrapping at 2^32).
pub fn repeats() -> u32 {
    REPEATS.load(Ordering::Relaxed)
}

/// Where the two words are, as indices into a `Uint32Array` over the whole memory:
/// `[version, repeats]` (each is 4-aligned, so its byte address is four times its index).
pub fn word_indices() -> [u32; 2] {
    let index = |word: &AtomicU32| (word.as_ptr() as usize / 4) as u32;
    [index(&VERSION), index(&REPEATS)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bump_changes_the_version_and_the_words_are_distinct_and_aligned() {
        let before = get();
        bump();
        assert_eq!(get(), before.wrapping_add(1));
        let [version, repeats] = word_indices();
        assert_ne!(version, repeats);
        assert_eq!(VERSION.as_ptr() as usize % 4, 0);
    }
}
