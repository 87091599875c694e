//! A slab of items addressed by index and generation: sessions and
//! connections waiting for their first Logon. A removed item's slot is
//! reused with the next generation, so a stale reference (a timer entry, a
//! readiness event of a closed socket) finds nothing.

struct Slot<T> {
    gen: u32,
    item: Option<T>,
}

/// Generations wrap within the bits a token has room for.
const GEN_MASK: u32 = 0x0fff_ffff;

pub(super) struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Slab<T> {
    pub(super) fn new() -> Slab<T> {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }

    /// Inserts the item `make` builds from its index and generation.
    pub(super) fn insert_with(&mut self, make: impl FnOnce(u32, u32) -> T) -> (u32, u32) {
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Slot { gen: 0, item: None });
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[idx as usize];
        slot.item = Some(make(idx, slot.gen));
        self.len += 1;
        (idx, slot.gen)
    }

    /// The index and generation the next insert gets (to register a
    /// socket under its token before inserting it).
    pub(super) fn next_key(&self) -> (u32, u32) {
        match self.free.last() {
            Some(&i) => (i, self.slots[i as usize].gen),
            None => (self.slots.len() as u32, 0),
        }
    }

    pub(super) fn get_mut(&mut self, idx: u32, gen: u32) -> Option<&mut T> {
        match self.slots.get_mut(idx as usize) {
            Some(s) if s.gen == gen => s.item.as_mut(),
            _ => None,
        }
    }

    /// The item in slot `idx`, whatever its generation (for callers that
    /// check an identity of their own, such as a link's serial).
    pub(super) fn get_at(&mut self, idx: u32) -> Option<&mut T> {
        self.slots
            .get_mut(idx as usize)
            .and_then(|s| s.item.as_mut())
    }

    pub(super) fn remove(&mut self, idx: u32, gen: u32) -> Option<T> {
        let slot = self.slots.get_mut(idx as usize)?;
        if slot.gen != gen {
            return None;
        }
        let item = slot.item.take()?;
        slot.gen = slot.gen.wrapping_add(1) & GEN_MASK;
        self.free.push(idx);
        self.len -= 1;
        Some(item)
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Index and generation of every item, for walking the slab while
    /// changing it.
    pub(super) fn refs(&self) -> Vec<(u32, u32)> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.item.is_some())
            .map(|(i, s)| (i as u32, s.gen))
            .collect()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter_map(|s| s.item.as_ref())
    }

    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.slots.iter_mut().filter_map(|s| s.item.as_mut())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_slot_does_not_answer_to_its_old_generation() {
        let mut slab = Slab::new();
        let next = slab.next_key();
        let (i, g) = slab.insert_with(|_, _| "first");
        assert_eq!((i, g), next);
        assert_eq!(slab.remove(i, g), Some("first"));
        let next = slab.next_key();
        let (i2, g2) = slab.insert_with(|_, _| "second");
        assert_eq!((i2, g2), next);
        assert_eq!(i2, i);
        assert_ne!(g2, g);
        assert!(slab.get_mut(i, g).is_none());
        assert_eq!(slab.get_mut(i2, g2).copied(), Some("second"));
        assert_eq!(slab.get_at(i).copied(), Some("second"));
        assert_eq!(slab.len(), 1);
    }
}
