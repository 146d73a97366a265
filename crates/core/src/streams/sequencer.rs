//! Stream sequence numbers, and how far readers may read.
//!
//! A write takes its numbers just before it commits, holding its items'
//! row locks, and commits concurrently with other writes, so a record may
//! become visible after one with a higher number. A reader that returned
//! the higher one and moved past it would never see the lower one. So a
//! reservation stays "in flight" until its write has committed (or given
//! up), and readers stop below the lowest number in flight: everything
//! below it is committed or will never exist.

use parking_lot::Mutex;
use std::collections::BTreeMap;

pub struct Sequencer {
    state: Mutex<State>,
}

struct State {
    next: u64,
    /// First number of each reservation not yet committed or abandoned,
    /// with how many reservations start there (always one; a count keeps
    /// the map honest should that ever change).
    in_flight: BTreeMap<u64, usize>,
}

impl Sequencer {
    pub fn starting_at(next: u64) -> Sequencer {
        Sequencer {
            state: Mutex::new(State {
                next,
                in_flight: BTreeMap::new(),
            }),
        }
    }

    /// Reserves `count` consecutive numbers; readers do not pass the first
    /// until the reservation is dropped, which the writer does once its
    /// commit returned.
    pub fn reserve(&self, count: u64) -> Reservation<'_> {
        let mut state = self.state.lock();
        let first = state.next;
        state.next += count;
        *state.in_flight.entry(first).or_insert(0) += 1;
        Reservation {
            sequencer: self,
            first,
        }
    }

    /// Every record numbered below this one is committed (or never will
    /// be): the end of what a reader may read now.
    pub fn readable_end(&self) -> u64 {
        let state = self.state.lock();
        state.in_flight.keys().next().copied().unwrap_or(state.next)
    }

    /// Makes the next number follow `used` (one found in storage at
    /// start-up), so numbers never repeat.
    pub fn advance_past(&self, used: u64) {
        let mut state = self.state.lock();
        state.next = state.next.max(used.saturating_add(1));
    }

    /// The number the next reservation gets (a new stream's first).
    pub fn peek_next(&self) -> u64 {
        self.state.lock().next
    }
}

/// Numbers taken by one write, released when dropped.
pub struct Reservation<'a> {
    sequencer: &'a Sequencer,
    first: u64,
}

impl Reservation<'_> {
    pub fn first(&self) -> u64 {
        self.first
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut state = self.sequencer.state.lock();
        if let Some(count) = state.in_flight.get_mut(&self.first) {
            *count -= 1;
            if *count == 0 {
                state.in_flight.remove(&self.first);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_stop_below_the_oldest_reservation_in_flight() {
        let sequencer = Sequencer::starting_at(10);
        assert_eq!(sequencer.readable_end(), 10);
        let a = sequencer.reserve(2);
        let b = sequencer.reserve(1);
        assert_eq!((a.first(), b.first()), (10, 12));
        assert_eq!(sequencer.readable_end(), 10);
        // The later write commits first: its record must stay hidden.
        drop(b);
        assert_eq!(sequencer.readable_end(), 10);
        drop(a);
        assert_eq!(sequencer.readable_end(), 13);
        assert_eq!(sequencer.peek_next(), 13);
    }
}
