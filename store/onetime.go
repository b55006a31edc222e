package store

import (
	"context"
	"time"
)

// One-time codes: every purpose (passwordless flows, sign-ups, new-device
// challenges, domain claims) keeps the fields of a core.OneTimeCode in its
// own table. Its methods load the record, apply the core.CodeRule the
// caller gives (the rules live in package internal/onetime, not here) and
// write back the record the rule returns, in one BEGIN IMMEDIATE
// transaction: concurrent uses of one code queue, so a wrong code is
// always counted and a right one is accepted once.

// codeTx runs fn in one write transaction for a one-time code. A refusal
// by the code's rule (verdict) still commits, so that what the rule
// counted stays counted; an error of fn rolls everything back. It returns
// the error, or else the verdict.
func (db *DB) codeTx(ctx context.Context, fn func(tx *txn) (verdict, err error)) error {
	var verdict error
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		verdict, err = fn(tx)
		return err
	})
	if err != nil {
		return err
	}
	return verdict
}

// msOrZero stores a time that may be unset (zero) as 0.
func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

// fromMSOrZero reads what msOrZero stored.
func fromMSOrZero(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMS(v)
}
