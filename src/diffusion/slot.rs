//! A scene's run in a slot: taken out for a step with [`Taken`], which puts
//! it back and marks the slot idle on every exit path (early returns, errors,
//! a dropped future), so no branch has to remember to. One slot type serves
//! picture runs ([`Run`](crate::diffusion::run::Run)) and tracks
//! ([`TrackRun`](crate::diffusion::track::TrackRun)) alike.

use std::cell::RefCell;
use std::rc::Rc;

use thiserror::Error;

/// Why a slot has no run to give.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum SlotError {
    #[error("a step is still running; wait for it")]
    Busy,
    #[error("press Generate first")]
    Empty,
}

/// A scene's run and whether a step of it is in flight.
pub struct Slot<R> {
    run: Option<R>,
    busy: bool,
    /// Counts the runs put in place, so that work sent out for one run (the
    /// workers' shares) is not applied to the next.
    serial: u64,
}

impl<R> Default for Slot<R> {
    fn default() -> Self {
        Self {
            run: None,
            busy: false,
            serial: 0,
        }
    }
}

impl<R> Slot<R> {
    /// Puts a new run in place; refused while a step is in flight.
    pub fn replace(&mut self, run: R) -> Result<(), SlotError> {
        if self.busy {
            return Err(SlotError::Busy);
        }
        self.run = Some(run);
        self.serial += 1;
        Ok(())
    }

    /// Which run is in place (1 for the first).
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// The run between steps (None before the first run, and during a step).
    pub fn get(&self) -> Result<&R, SlotError> {
        self.run.as_ref().ok_or(self.missing())
    }

    /// The run between steps, to change it outside a step.
    pub fn get_mut(&mut self) -> Result<&mut R, SlotError> {
        let missing = self.missing();
        self.run.as_mut().ok_or(missing)
    }

    pub fn is_busy(&self) -> bool {
        self.busy
    }

    fn missing(&self) -> SlotError {
        if self.busy {
            SlotError::Busy
        } else {
            SlotError::Empty
        }
    }
}

/// The run taken out of its scene's slot for one step; dropping it puts the
/// run back and marks the slot idle.
pub struct Taken<S, R> {
    scene: Rc<RefCell<S>>,
    slot: fn(&mut S) -> &mut Slot<R>,
    run: Option<R>,
}

impl<S, R> Taken<S, R> {
    /// Takes the run; refused while another step is in flight or before a run exists.
    pub fn take(
        scene: &Rc<RefCell<S>>,
        slot: fn(&mut S) -> &mut Slot<R>,
    ) -> Result<Self, SlotError> {
        let mut s = scene.borrow_mut();
        let held = slot(&mut s);
        if held.busy {
            return Err(SlotError::Busy);
        }
        let run = held.run.take().ok_or(SlotError::Empty)?;
        held.busy = true;
        drop(s);
        Ok(Self {
            scene: scene.clone(),
            slot,
            run: Some(run),
        })
    }
}

impl<S, R> std::ops::Deref for Taken<S, R> {
    type Target = R;
    fn deref(&self) -> &R {
        self.run.as_ref().expect("held until dropped")
    }
}

impl<S, R> std::ops::DerefMut for Taken<S, R> {
    fn deref_mut(&mut self) -> &mut R {
        self.run.as_mut().expect("held until dropped")
    }
}

impl<S, R> Drop for Taken<S, R> {
    fn drop(&mut self) {
        let mut s = self.scene.borrow_mut();
        let held = (self.slot)(&mut s);
        held.busy = false;
        held.run = self.run.take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Scene {
        slot: Slot<Vec<u32>>,
    }

    fn slot(s: &mut Scene) -> &mut Slot<Vec<u32>> {
        &mut s.slot
    }

    #[test]
    fn any_run_type_goes_back_to_its_slot_when_its_guard_drops_and_a_busy_slot_refuses() {
        let scene = Rc::new(RefCell::new(Scene {
            slot: Slot::default(),
        }));
        assert_eq!(Taken::take(&scene, slot).err(), Some(SlotError::Empty));
        scene.borrow_mut().slot.replace(vec![1]).unwrap();
        assert_eq!(scene.borrow().slot.serial(), 1);
        {
            let mut taken = Taken::take(&scene, slot).unwrap();
            taken.push(2);
            assert_eq!(Taken::take(&scene, slot).err(), Some(SlotError::Busy));
            assert_eq!(scene.borrow().slot.get().err(), Some(SlotError::Busy));
            assert_eq!(
                scene.borrow_mut().slot.replace(vec![9]),
                Err(SlotError::Busy)
            );
        }
        assert!(!scene.borrow().slot.is_busy());
        assert_eq!(scene.borrow().slot.get().unwrap(), &vec![1, 2]);
    }
}
