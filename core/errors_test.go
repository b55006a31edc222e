package core_test

import (
	"errors"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
)

func TestErrorMatchesItsKindAndCause(t *testing.T) {
	cause := errors.New("disk full")
	e := core.Refuse(core.ErrNotFound, "thing_not_found", "No such thing.").With(cause)
	if !errors.Is(e, core.ErrNotFound) {
		t.Error("a refusal does not match its kind")
	}
	if !errors.Is(e, cause) {
		t.Error("a refusal does not match its cause")
	}
	if errors.Is(e, core.ErrConflict) {
		t.Error("a refusal matches another kind")
	}
	if got, want := e.Error(), "thing_not_found: No such thing.: disk full"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestErrorWithKeepsTheOriginal: With copies, so a shared refusal value is
// never changed, and the copy still matches the value it came from.
func TestErrorWithKeepsTheOriginal(t *testing.T) {
	base := core.Refuse(core.ErrExpired, "flow_expired", "Start again.")
	c := base.With(errors.New("cause"))
	if base.Err != nil {
		t.Fatal("With changed the shared value")
	}
	if !errors.Is(c, base) {
		t.Error("a copy made by With does not match its original")
	}
	other := core.Refuse(core.ErrExpired, "link_expired", "Request a new link.")
	if errors.Is(c, other) {
		t.Error("refusals with different codes match")
	}
	wrapped := errors.Join(errors.New("context"), c)
	var got *core.Error
	if !errors.As(wrapped, &got) || got.Code != "flow_expired" {
		t.Errorf("errors.As through a wrap = %v", got)
	}
}

func TestInvalidNamesItsField(t *testing.T) {
	e := core.Invalid("email", "invalid_email", "Enter a valid email address.")
	if e.Field != "email" || !errors.Is(e, core.ErrInvalidInput) {
		t.Errorf("Invalid = %+v", e)
	}
}

func TestLockedOut(t *testing.T) {
	e := core.LockedOut(90*time.Second, core.ErrLocked)
	if e.RetryAfter != 90*time.Second || !errors.Is(e, core.ErrRateLimited) || !errors.Is(e, core.ErrLocked) {
		t.Errorf("LockedOut = %+v", e)
	}
}

func TestCombine(t *testing.T) {
	t.Parallel()
	email := core.Invalid("email", "invalid_email", "Bad email.")
	name := core.Invalid("name", "invalid_name", "Bad name.")
	name2 := core.Invalid("name", "name_required", "No name.")
	internal := errors.New("disk on fire")
	whole := core.Refuse(core.ErrRateLimited, "rate_limited", "Slow down.")

	if err := core.Combine(nil, nil); err != nil {
		t.Fatalf("core.Combine(nil, nil) = %v", err)
	}
	if err := core.Combine(nil, email); err != email {
		t.Fatalf("one refusal: %v, want it as it is", err)
	}
	err := core.Combine(email, nil, name, name2)
	var e *core.Error
	if !errors.As(err, &e) || e.Field != "email" || e.Code != "invalid_email" || !errors.Is(err, core.ErrInvalidInput) {
		t.Fatalf("combined = %#v", err)
	}
	want := []core.FieldError{{"email", "invalid_email", "Bad email."}, {"name", "invalid_name", "Bad name."}}
	if len(e.Fields) != 2 || e.Fields[0] != want[0] || e.Fields[1] != want[1] {
		t.Fatalf("Fields = %+v, want %+v (one entry a field, its first refusal)", e.Fields, want)
	}
	if email.Fields != nil {
		t.Fatal("Combine changed the refusal it was given")
	}
	if err := core.Combine(email, internal, name); err != internal {
		t.Fatalf("an internal error among refusals: %v, want it first", err)
	}
	if err := core.Combine(email, whole); err != whole {
		t.Fatalf("a refusal of the whole input: %v, want it first", err)
	}
}
