package admin_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/embedauth/auth/admin"
	"github.com/embedauth/auth/core"
)

func TestParseQuery(t *testing.T) {
	t.Parallel()
	q, err := admin.ParseQuery(url.Values{"q": {" ada "}, "filter": {"banned,has_mfa", "admin"}, "org": {"org_1"}, "sort": {"email_asc"}, "limit": {"10"}})
	if err != nil {
		t.Fatal(err)
	}
	if q.Search != "ada" || !q.Banned || !q.HasMFA || !q.Admin || q.Locked || q.OrgID != "org_1" || q.Sort != core.SortEmailAsc || q.Limit != 10 {
		t.Errorf("ParseQuery = %+v", q)
	}
	if q, _ := admin.ParseQuery(nil); q.Sort != core.SortCreatedDesc || q.Limit != admin.DefaultLimit {
		t.Errorf("defaults = %+v", q)
	}
	for _, c := range []struct {
		v    url.Values
		code string
	}{
		{url.Values{"filter": {"deleted"}}, "invalid_filter"},
		{url.Values{"sort": {"name"}}, "invalid_sort"},
		{url.Values{"limit": {"0"}}, "invalid_limit"},
		{url.Values{"limit": {"201"}}, "invalid_limit"},
		{url.Values{"cursor": {"%%%"}}, "invalid_cursor"},
		{url.Values{"q": {string(make([]byte, 201))}}, "invalid_search"},
	} {
		_, err := admin.ParseQuery(c.v)
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Code != c.code || !errors.Is(err, core.ErrInvalidInput) {
			t.Errorf("%v: %v, want %s", c.v, err, c.code)
		}
	}
}

func TestCursor(t *testing.T) {
	t.Parallel()
	c := &core.UserCursor{Key: "1700000000000", ID: "user_1"}
	s := admin.EncodeCursor(c, core.SortCreatedDesc)
	got, err := admin.DecodeCursor(s, core.SortCreatedDesc)
	if err != nil || *got != *c {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	// A cursor of one order is refused by another.
	if _, err := admin.DecodeCursor(s, core.SortEmailAsc); err == nil {
		t.Error("a created_desc cursor was accepted for email_asc")
	}
	// A cursor whose key is not a time is refused for a time order.
	bad := admin.EncodeCursor(&core.UserCursor{Key: "ada@example.com", ID: "user_1"}, core.SortCreatedAsc)
	if _, err := admin.DecodeCursor(bad, core.SortCreatedAsc); err == nil {
		t.Error("a cursor with a non-numeric key was accepted for created_asc")
	}
	if admin.EncodeCursor(nil, "") != "" {
		t.Error("no next page should be an empty cursor")
	}
}
