//! Eight bytes at a time in a `u64` ("SIMD within a register"): where a field of a CSV line
//! ends, where the next order signal is, found without a branch per byte. Lanes never carry
//! into each other, so each byte's answer is its own.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The 8 bytes at `b[i..]` as a little-endian word (`b[i]` lowest), zeros past the end.
#[inline(always)]
fn word(b: &[u8], i: usize) -> u64 {
    match b.get(i..i + 8) {
        Some(s) => u64::from_le_bytes(s.try_into().unwrap_or([0; 8])),
        None => {
            let mut buf = [0u8; 8];
            if let Some(rest) = b.get(i..) {
                buf[..rest.len()].copy_from_slice(rest);
            }
            u64::from_le_bytes(buf)
        }
    }
}

/// The high bit of every byte of `x` that is zero.
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    !(((x & !HIGHS) + !HIGHS) | x | !HIGHS)
}

/// Where the first `x` or `y` at or after `b[i]` is, `b.len()` when there is none. Neither
/// may be zero (the bytes past the end read as zeros).
#[inline(always)]
pub(crate) fn find2(b: &[u8], mut i: usize, x: u8, y: u8) -> usize {
    let (xs, ys) = (ONES * u64::from(x), ONES * u64::from(y));
    while i < b.len() {
        let w = word(b, i);
        let hits = zero_bytes(w ^ xs) | zero_bytes(w ^ ys);
        if hits != 0 {
            return (i + (hits.trailing_zeros() / 8) as usize).min(b.len());
        }
        i += 8;
    }
    b.len()
}

/// Where the first byte that is not zero at or after `b[i]` is, `None` when there is none.
#[inline(always)]
pub(crate) fn first_nonzero(b: &[u8], mut i: usize) -> Option<usize> {
    while i < b.len() {
        // The bytes past the end read as zeros.
        let set = !zero_bytes(word(b, i)) & HIGHS;
        if set != 0 {
            return Some(i + (set.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find2_finds_the_first_of_two_bytes_or_the_end() {
        // UTF-8 and other high bytes are none of them.
        let line = b"2015-01-02T00:00:00Z,100,100.01\n99.95;x\xc3\xa9\xff\x80\t\x00,";
        for i in 0..=line.len() {
            for (x, y) in [(b',', b'\n'), (b';', b'\n'), (b'\t', b'\n'), (b'Z', b'Q')] {
                let want = line[i..]
                    .iter()
                    .position(|&c| c == x || c == y)
                    .map_or(line.len(), |k| i + k);
                assert_eq!(find2(line, i, x, y), want, "from {i} for {x} {y}");
            }
        }
    }

    #[test]
    fn first_nonzero_finds_the_first_set_byte_from_anywhere() {
        let mut flags = vec![0u8; 70];
        for (k, v) in [(3, 1), (8, 128), (9, 255), (31, 2), (64, 4), (69, 9)] {
            flags[k] = v;
        }
        for from in 0..=flags.len() + 1 {
            let want = flags
                .iter()
                .enumerate()
                .skip(from)
                .find(|(_, &f)| f != 0)
                .map(|(k, _)| k);
            assert_eq!(first_nonzero(&flags, from), want, "from {from}");
        }
        assert_eq!(first_nonzero(&[], 0), None);
    }
}
