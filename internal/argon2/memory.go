package argon2

import (
	"sync"
	"time"
)

// Working memory. Each hash needs memory KiB (19 MiB at embedauth's
// default cost) for a few milliseconds. Allocating it per hash made a busy
// server fault in tens of MB per second, and keeping it on the Go heap (in
// a sync.Pool) made the garbage collector's heap goal count it twice, so
// peak memory under a burst of sign-ins held two to three times the memory
// of the hashes actually running. Instead the memory is mapped outside the
// Go heap where the system allows (memory_mmap.go), kept in a free list
// for the next hash, and given back once it has not been needed for
// idleRelease.

// idleRelease is how long unused working memory is kept.
const idleRelease = 30 * time.Second

type buffer struct {
	blocks   []block
	release  func() // gives the memory back to the system
	lastUsed time.Time
}

var free = struct {
	sync.Mutex
	bufs  map[uint32][]*buffer // by size in blocks; most recently used last
	inUse map[*block]*buffer   // by first block
	trim  *time.Timer
	idle  time.Duration // idleRelease; tests change it
}{bufs: map[uint32][]*buffer{}, inUse: map[*block]*buffer{}, idle: idleRelease}

// getBlocks returns memory blocks, not cleared: initBlocks writes the
// first two blocks of each lane and the first pass overwrites every other
// block before any read of it.
func getBlocks(memory uint32) []block {
	free.Lock()
	defer free.Unlock()
	var b *buffer
	if list := free.bufs[memory]; len(list) > 0 {
		b = list[len(list)-1]
		free.bufs[memory] = list[:len(list)-1]
	} else {
		blocks, release := allocBlocks(memory)
		b = &buffer{blocks: blocks, release: release}
	}
	free.inUse[&b.blocks[0]] = b
	return b.blocks
}

// putBlocks returns blocks from getBlocks to the free list.
func putBlocks(blocks []block) {
	free.Lock()
	defer free.Unlock()
	b := free.inUse[&blocks[0]]
	delete(free.inUse, &blocks[0])
	b.lastUsed = time.Now()
	free.bufs[uint32(len(blocks))] = append(free.bufs[uint32(len(blocks))], b)
	if free.trim == nil {
		free.trim = time.AfterFunc(free.idle, trimIdle)
	}
}

// trimIdle gives back the memory unused for idleRelease, and comes back
// while any is left.
func trimIdle() {
	free.Lock()
	defer free.Unlock()
	free.trim = nil
	cutoff := time.Now().Add(-free.idle)
	left := false
	for size, list := range free.bufs {
		kept := list[:0]
		for _, b := range list {
			if b.lastUsed.After(cutoff) && free.idle > 0 {
				kept = append(kept, b)
			} else {
				b.release()
			}
		}
		clear(list[len(kept):])
		free.bufs[size] = kept
		left = left || len(kept) > 0
	}
	if left {
		free.trim = time.AfterFunc(free.idle/2+time.Millisecond, trimIdle)
	}
}

// idleBuffers reports how many buffers the free list holds, for tests.
func idleBuffers() int {
	free.Lock()
	defer free.Unlock()
	n := 0
	for _, list := range free.bufs {
		n += len(list)
	}
	return n
}
