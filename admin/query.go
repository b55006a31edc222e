package admin

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/embedauth/auth/core"
)

// Page sizes of the users table.
const (
	DefaultLimit = 50
	MaxLimit     = 200
	// MaxSearch bounds a search string, in bytes.
	MaxSearch = 200
)

// Filters are the names of the boolean filters of the users table, as
// query parameters ("?filter=banned&filter=has_mfa") and in the JSON API.
var Filters = []string{"banned", "locked", "unverified", "has_mfa", "has_passkey", "admin"}

// Sorts are the accepted sort orders.
var Sorts = []string{core.SortCreatedDesc, core.SortCreatedAsc, core.SortEmailAsc, core.SortEmailDesc}

// ParseQuery reads the users table's query parameters: q (search),
// filter (repeated, from [Filters]), org (an organization id), sort (from
// [Sorts]), cursor (from a previous page) and limit (1 to [MaxLimit]). A
// bad value is a [core.Error] naming the parameter.
func ParseQuery(v url.Values) (core.UserQuery, error) {
	q := core.UserQuery{Search: strings.TrimSpace(v.Get("q")), OrgID: strings.TrimSpace(v.Get("org")), Sort: v.Get("sort"), Limit: DefaultLimit}
	if len(q.Search) > MaxSearch {
		return q, core.Invalid("q", "invalid_search", "The search is too long.")
	}
	for _, f := range v["filter"] {
		for _, f := range strings.Split(f, ",") {
			switch strings.TrimSpace(f) {
			case "":
			case "banned":
				q.Banned = true
			case "locked":
				q.Locked = true
			case "unverified":
				q.Unverified = true
			case "has_mfa":
				q.HasMFA = true
			case "has_passkey":
				q.HasPasskey = true
			case "admin":
				q.Admin = true
			default:
				return q, core.Invalid("filter", "invalid_filter", "filter must be one of "+strings.Join(Filters, ", ")+".")
			}
		}
	}
	if q.Sort == "" {
		q.Sort = core.SortCreatedDesc
	}
	if !validSort(q.Sort) {
		return q, core.Invalid("sort", "invalid_sort", "sort must be one of "+strings.Join(Sorts, ", ")+".")
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return q, core.Invalid("limit", "invalid_limit", "limit must be a number from 1 to "+strconv.Itoa(MaxLimit)+".")
		}
		q.Limit = n
	}
	if s := v.Get("cursor"); s != "" {
		c, err := DecodeCursor(s, q.Sort)
		if err != nil {
			return q, err
		}
		q.After = c
	}
	return q, nil
}

func validSort(s string) bool {
	for _, v := range Sorts {
		if v == s {
			return true
		}
	}
	return false
}

// cursor is what a cursor string holds: the sort it was made for, so a
// cursor of one order is never read as another's.
type cursor struct {
	Sort string `json:"s"`
	core.UserCursor
}

// EncodeCursor makes the opaque string of the page after c in sort order.
func EncodeCursor(c *core.UserCursor, sort string) string {
	if c == nil {
		return ""
	}
	if sort == "" {
		sort = core.SortCreatedDesc
	}
	b, _ := json.Marshal(cursor{Sort: sort, UserCursor: *c})
	return base64.RawURLEncoding.EncodeToString(b)
}

// errBadCursor is the refusal of a cursor that is not one of ours.
var errBadCursor = core.Invalid("cursor", "invalid_cursor", "The cursor is not valid for this sort order; start from the first page.")

// DecodeCursor reads a cursor string made by [EncodeCursor] for sort.
func DecodeCursor(s, sort string) (*core.UserCursor, error) {
	if len(s) > 1024 {
		return nil, errBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errBadCursor
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.Sort != sort || c.ID == "" {
		return nil, errBadCursor
	}
	if sort == core.SortCreatedAsc || sort == core.SortCreatedDesc {
		if _, err := strconv.ParseInt(c.Key, 10, 64); err != nil {
			return nil, errBadCursor
		}
	}
	return &c.UserCursor, nil
}
