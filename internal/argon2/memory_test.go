package argon2

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// Working memory is reused from one hash to the next, one buffer per hash
// running at once, and given back once idle.
func TestWorkingMemoryReusedAndReleased(t *testing.T) {
	pw, salt := []byte("password"), []byte("somesalt")
	trimIdle() // nothing left from other tests
	setIdle := func(d time.Duration) { free.Lock(); free.idle = d; free.Unlock() }
	defer setIdle(idleRelease)
	setIdle(time.Hour)
	free.Lock()
	for _, list := range free.bufs {
		for _, b := range list {
			b.release()
		}
	}
	clear(free.bufs)
	free.Unlock()

	want := IDKey(pw, salt, 2, 1024, 1, 32)
	for range 3 {
		IDKey(pw, salt, 2, 1024, 1, 32)
	}
	if n := idleBuffers(); n != 1 {
		t.Fatalf("%d buffers kept after sequential hashes, want 1", n)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if got := IDKey(pw, salt, 2, 1024, 1, 32); string(got) != string(want) {
				t.Error("hash differs on reused memory")
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := idleBuffers(); n < 1 || n > 3 {
		t.Fatalf("%d buffers kept after three hashes at once, want 1-3", n)
	}

	setIdle(0)
	trimIdle()
	if n := idleBuffers(); n != 0 {
		t.Fatalf("%d buffers kept after the idle release, want 0", n)
	}
	if got := IDKey(pw, salt, 2, 1024, 1, 32); string(got) != string(want) {
		t.Error("hash differs after the release")
	}
}

// On systems that map it, the working memory is outside the Go heap, so
// the garbage collector's heap goal does not grow with it.
func TestWorkingMemoryOutsideHeap(t *testing.T) {
	blocks, release := allocBlocks(19 * 1024)
	defer release()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b2, release2 := allocBlocks(19 * 1024)
	defer release2()
	for i := range b2 {
		b2[i][0] = uint64(i) // touch every block
	}
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	switch runtime.GOOS {
	case "linux", "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
		if grew > 4<<20 {
			t.Fatalf("Go heap grew by %d bytes for a 19 MiB buffer", grew)
		}
	}
	if len(blocks) != 19*1024 || len(b2) != 19*1024 {
		t.Fatal("wrong size")
	}
}
