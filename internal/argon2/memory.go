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
	bufs map[uint32][]*buffer // by size in blocks; most recently used last
	trim *time.Timer
	idle time.Duration // idleRelease; tests change it
}{bufs: map[uint32][]*buffer{}, idle: idleRelease}

// getBuffer returns working memory of the given number of blocks, not
// cleared (see initBlocks).
func getBuffer(memory uint32) *buffer {
	free.Lock()
	defer free.Unlock()
	if list := free.bufs[memory]; len(list) > 0 {
		free.bufs[memory] = list[:len(list)-1]
		return list[len(list)-1]
	}
	blocks, release := allocBlocks(memory)
	return &buffer{blocks: blocks, release: release}
}

// putBuffer returns memory from getBuffer to the free list.
func putBuffer(b *buffer) {
	free.Lock()
	defer free.Unlock()
	b.lastUsed = time.Now()
	size := uint32(len(b.blocks))
	free.bufs[size] = append(free.bufs[size], b)
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
			if b.lastUsed.After(cutoff) {
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
