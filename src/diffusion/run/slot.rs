//! A scene's run in a slot, taken out for a step and put back on every exit.

use super::*;

/// A scene's run and whether a step of it is in flight.
#[derive(Default)]
pub struct RunSlot {
    pub(super) run: Option<Run>,
    pub(super) busy: bool,
    /// Counts the runs put in place, so that work sent out for one run (the
    /// workers' shares) is not applied to the next.
    pub(super) serial: u64,
}

impl RunSlot {
    /// Puts a new run in place; refused while a step is in flight.
    pub fn replace(&mut self, run: Run) -> Result<(), RunError> {
        if self.busy {
            return Err(RunError::Busy);
        }
        self.run = Some(run);
        self.serial += 1;
        Ok(())
    }

    /// Which run is in place (1 for the first).
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// The run between steps, to change it outside a step (None as for `get`).
    pub fn get_mut(&mut self) -> Result<&mut Run, RunError> {
        match self.run.as_mut() {
            Some(run) => Ok(run),
            None if self.busy => Err(RunError::Busy),
            None => Err(RunError::NoRun),
        }
    }

    pub fn is_busy(&self) -> bool {
        self.busy
    }

    /// The run between steps (None before the first run, and during a step).
    pub fn get(&self) -> Result<&Run, RunError> {
        self.run.as_ref().ok_or(if self.busy {
            RunError::Busy
        } else {
            RunError::NoRun
        })
    }
}

/// The run taken out of its scene for one step. Dropping the guard puts the
/// run back and marks the scene idle on every exit path (early returns,
/// errors, a dropped future), so no branch has to remember to.
pub struct TakenRun<S> {
    pub(super) scene: Rc<RefCell<S>>,
    pub(super) slot: fn(&mut S) -> &mut RunSlot,
    pub(super) run: Option<Run>,
}

impl<S> TakenRun<S> {
    /// Takes the run; refused while another step is in flight or before a run exists.
    pub fn take(
        scene: &Rc<RefCell<S>>,
        slot: fn(&mut S) -> &mut RunSlot,
    ) -> Result<Self, RunError> {
        let mut s = scene.borrow_mut();
        let held = slot(&mut s);
        if held.busy {
            return Err(RunError::Busy);
        }
        let run = held.run.take().ok_or(RunError::NoRun)?;
        held.busy = true;
        drop(s);
        Ok(Self {
            scene: scene.clone(),
            slot,
            run: Some(run),
        })
    }
}

impl<S> std::ops::Deref for TakenRun<S> {
    type Target = Run;
    fn deref(&self) -> &Run {
        self.run.as_ref().expect("held until dropped")
    }
}

impl<S> std::ops::DerefMut for TakenRun<S> {
    fn deref_mut(&mut self) -> &mut Run {
        self.run.as_mut().expect("held until dropped")
    }
}

impl<S> Drop for TakenRun<S> {
    fn drop(&mut self) {
        let mut s = self.scene.borrow_mut();
        let held = (self.slot)(&mut s);
        held.busy = false;
        held.run = self.run.take();
    }
}
