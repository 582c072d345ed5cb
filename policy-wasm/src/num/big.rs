//! Unsigned arbitrary-precision integers with just the operations exact float conversion needs.

use alloc::vec;
use alloc::vec::Vec;
use core::cmp::Ordering;

/// Little-endian 32-bit limbs without trailing zero limbs (zero is the empty vector).
#[derive(Clone, Debug)]
pub(super) struct Big(Vec<u32>);

impl Big {
    /// `v` as a bignum.
    pub(super) fn from_u64(v: u64) -> Big {
        let mut big = Big(vec![v as u32, (v >> 32) as u32]);
        big.trim();
        big
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    /// Whether the value is zero.
    pub(super) fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    /// `self = self * m + add`.
    pub(super) fn mul_add_small(&mut self, m: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    /// `self *= 10^n`.
    pub(super) fn mul_pow10(&mut self, mut n: u32) {
        while n >= 9 {
            self.mul_add_small(1_000_000_000, 0);
            n -= 9;
        }
        self.mul_add_small(10u32.pow(n), 0);
    }

    /// `self <<= bits`.
    pub(super) fn shl(&mut self, bits: u32) {
        if self.is_zero() {
            return;
        }
        let within = bits % 32;
        if within != 0 {
            let mut carry = 0u32;
            for limb in &mut self.0 {
                let v = (u64::from(*limb) << within) | u64::from(carry);
                *limb = v as u32;
                carry = (v >> 32) as u32;
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        let limbs = (bits / 32) as usize;
        self.0.splice(0..0, core::iter::repeat_n(0, limbs));
    }

    /// `self >>= 1`.
    pub(super) fn shr1(&mut self) {
        let mut carry = 0u32;
        for limb in self.0.iter_mut().rev() {
            let next = *limb << 31;
            *limb = (*limb >> 1) | carry;
            carry = next;
        }
        self.trim();
    }

    /// `self += other`.
    pub(super) fn add(&mut self, other: &Big) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        let mut carry = 0u64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let v = u64::from(*limb) + u64::from(other.0.get(i).copied().unwrap_or(0)) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    /// `self -= other`; `other` must not exceed `self`.
    pub(super) fn sub(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let v = i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            *limb = v as u32;
            borrow = i64::from(v < 0);
        }
        self.trim();
    }

    /// Number of significant bits (0 for zero).
    pub(super) fn bit_len(&self) -> u32 {
        match self.0.last() {
            Some(top) => 32 * self.0.len() as u32 - top.leading_zeros(),
            None => 0,
        }
    }

    /// The 64 bits below bit `from` (exclusive) and whether any bit further below is set.
    pub(super) fn bits_below(&self, from: u32) -> (u64, bool) {
        let bit = |i: u32| {
            self.0
                .get((i / 32) as usize)
                .is_some_and(|l| l >> (i % 32) & 1 == 1)
        };
        let low = from.saturating_sub(64);
        let mut top = 0u64;
        for i in (low..from).rev() {
            top = (top << 1) | u64::from(bit(i));
        }
        (top, (0..low).any(bit))
    }

    /// `self / den` for a quotient known to be below 2^64; `self` keeps the remainder.
    pub(super) fn div_small_quotient(&mut self, den: &Big) -> u64 {
        let mut shifted = den.clone();
        shifted.shl(63);
        let mut q = 0u64;
        for _ in 0..64 {
            q <<= 1;
            if *self >= shifted {
                self.sub(&shifted);
                q |= 1;
            }
            shifted.shr1();
        }
        q
    }
}

impl PartialEq for Big {
    fn eq(&self, other: &Big) -> bool {
        self.0 == other.0
    }
}

impl PartialOrd for Big {
    fn partial_cmp(&self, other: &Big) -> Option<Ordering> {
        Some(
            self.0
                .len()
                .cmp(&other.0.len())
                .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev())),
        )
    }
}
