//! An in-place heapsort: O(n log n) in the worst case and a few hundred bytes of wasm per
//! element type, where `sort_unstable` costs several KB (it counts against the CEL size budget).

/// Sorts `v` ascending (not stable).
pub(crate) fn heapsort<T: Ord>(v: &mut [T]) {
    let len = v.len();
    for start in (0..len / 2).rev() {
        sift_down(v, start, len);
    }
    for end in (1..len).rev() {
        v.swap(0, end);
        sift_down(v, 0, end);
    }
}

/// Moves `v[node]` down until it is not smaller than its children within `v[..end]`.
fn sift_down<T: Ord>(v: &mut [T], mut node: usize, end: usize) {
    loop {
        let mut child = 2 * node + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && v[child] < v[child + 1] {
            child += 1;
        }
        if v[node] >= v[child] {
            return;
        }
        v.swap(node, child);
        node = child;
    }
}

#[cfg(test)]
mod tests {
    use super::heapsort;
    use alloc::vec::Vec;

    #[test]
    fn sorts_like_the_standard_library() {
        let mut seed = 7u32;
        for len in 0..40 {
            let mut v: Vec<u32> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    seed % 10
                })
                .collect();
            let mut want = v.clone();
            want.sort();
            heapsort(&mut v);
            assert_eq!(v, want);
        }
    }
}
