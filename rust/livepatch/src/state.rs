// SPDX-License-Identifier: GPL-2.0

//! System states a patch declares: `struct klp_state`.
//!
//! A state names a change a livepatch makes to the system beyond replacing
//! code (a setting, an allocation) so that a later cumulative patch can take
//! it over: the core refuses to replace a patch by one that does not know a
//! state it has, or knows only an older version of it. Read them from
//! callbacks with [`Context::state`](crate::Context::state) and
//! [`Context::prev_state`](crate::Context::prev_state).

use crate::bindings;
use kernel::types::Opaque;

/// One system state: a `struct klp_state`.
///
/// # Invariants
///
/// Either all zeroes (the terminator, private to [`States`]) or a non-zero
/// `id`. Once its patch is enabled, `data` is only accessed under
/// `klp_mutex` (through [`crate::StateRef`]).
#[repr(transparent)]
pub struct State(Opaque<bindings::klp_state>);

// SAFETY: after construction, `data` is only accessed with `klp_mutex` held
// (type invariant) and the rest is never written.
unsafe impl Sync for State {}

impl State {
    /// State `id` (non-zero: zero ends the table) at `version`.
    #[inline]
    pub const fn new(id: u64, version: u32) -> Self {
        assert!(
            id != 0,
            "a klp_state id cannot be 0: 0 ends the states table"
        );
        // SAFETY: all-zero is a valid `klp_state` (no data).
        let mut s: bindings::klp_state = unsafe { core::mem::zeroed() };
        s.id = id as _;
        s.version = version as _;
        // INVARIANT: `id` is non-zero.
        Self(Opaque::new(s))
    }

    #[inline]
    const fn terminator() -> Self {
        // INVARIANT: all zeroes.
        Self(Opaque::zeroed())
    }
}

/// The states of a patch and the all-zero terminator, laid out as the C array
/// `klp_state[N + 1]`.
#[repr(C)]
pub struct States<const N: usize> {
    states: [State; N],
    end: State,
}

impl<const N: usize> States<N> {
    /// Builds the table from `(id, version)` pairs; the terminator is added
    /// here. Two states with one id are a compile-time error (the table is a
    /// static): the core would only ever see the first.
    #[inline]
    pub const fn new(states: [(u64, u32); N]) -> Self {
        let mut i = 0;
        while i < N {
            let mut j = i + 1;
            while j < N {
                assert!(
                    states[i].0 != states[j].0,
                    "two klp states with the same id"
                );
                j += 1;
            }
            i += 1;
        }
        let mut table = [const { State::terminator() }; N];
        let mut k = 0;
        while k < N {
            table[k] = State::new(states[k].0, states[k].1);
            k += 1;
        }
        Self {
            states: table,
            end: State::terminator(),
        }
    }

    /// The C array, for `klp_patch.states`.
    #[inline]
    pub(crate) const fn as_ptr(&self) -> *mut bindings::klp_state {
        // `State` is a transparent `klp_state`, and `Self` is `repr(C)` with
        // members of the same type: this is `klp_state[N + 1]`.
        core::ptr::from_ref(self).cast_mut().cast()
    }
}
