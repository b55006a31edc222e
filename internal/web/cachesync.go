package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/embedauth/auth/store"
)

// Instances sharing a PostgreSQL database keep their session caches in
// step: every invalidation one of them makes (sign-out, revoked session,
// ban, role or membership change, password change...) is sent to the
// others with the database's LISTEN/NOTIFY, and they drop the same
// entries, within a few milliseconds. Config.SessionCacheTTL still bounds
// staleness if a notification is lost; after the listening connection
// fails, an instance drops its whole cache.
//
// A message is "<instance>|<kind>:<key>": kind t (a cookie token's hash,
// hex), u (a user id), s (a session id) or o (an organization id). The
// message "k:" says the signing keys were rotated: every instance reads
// them again at once, instead of at its next reload (30 s).

// publish sends one invalidation to the other instances, if any listen.
func (c *sessionCache) publish(kind, key string) {
	if c.notify == nil || c.ttl < 0 {
		return
	}
	if kind == "t" {
		key = hex.EncodeToString([]byte(key))
	}
	c.notify(kind + ":" + key)
}

// apply drops what a message from another instance names; an empty
// message drops everything.
func (c *sessionCache) apply(msg string) {
	if msg == "" {
		c.mu.Lock()
		c.gen++
		clear(c.entries)
		c.mu.Unlock()
		return
	}
	kind, key, ok := strings.Cut(msg, ":")
	if !ok {
		return
	}
	switch kind {
	case "t":
		if b, err := hex.DecodeString(key); err == nil {
			c.dropToken(string(b))
		}
	case "u":
		c.dropUser(key)
	case "s":
		c.dropSessions(key)
	case "o":
		c.dropOrg(key)
	}
}

// keysRotated is the message that says the signing keys were rotated.
const keysRotated = "k:"

// reloadKeys reads the signing keys again after another instance rotated
// them, and forgets the tokens verified with the old set.
func (a *Server) reloadKeys(ctx context.Context) {
	if a.jwt == nil || a.jwt.keys == nil {
		return
	}
	if err := a.jwt.keys.Reload(ctx); err != nil {
		a.s.Logger.Error("embedauth: reload signing keys", "err", err)
		return
	}
	a.jwt.verified.clear()
}

// startCacheSync makes the session cache send and receive invalidations
// through the database, on PostgreSQL. It waits (a few seconds at most)
// until this instance listens, so no change made after New returns is
// missed.
func (a *Server) startCacheSync(ctx context.Context) {
	if a.db.Engine() != store.Postgres {
		return
	}
	var b [8]byte
	rand.Read(b[:])
	self := hex.EncodeToString(b[:])
	a.cache.notify = func(msg string) {
		nctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := a.db.Notify(nctx, self+"|"+msg); err != nil {
			a.s.Logger.Error("embedauth: session cache notify", "err", err)
		}
	}
	ready := make(chan struct{})
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.db.Listen(ctx, ready, func(payload string) {
			if payload == "" {
				// Messages may have been lost: drop the cache and read the
				// keys again.
				a.cache.apply("")
				a.reloadKeys(ctx)
				return
			}
			from, msg, ok := strings.Cut(payload, "|")
			switch {
			case !ok || from == self:
			case msg == keysRotated:
				a.reloadKeys(ctx)
			default:
				a.cache.apply(msg)
			}
		})
	}()
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		a.s.Logger.Warn("embedauth: session cache: not listening for other instances yet; relying on SessionCacheTTL")
	}
}
