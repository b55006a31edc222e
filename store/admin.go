package store

// User administration: the users table's query, administrators granted in
// the database, administrative changes that no user flow makes (lock,
// unlock, verify an address), and the admin audit log.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/embedauth/auth/core"
)

// auditKey carries an *auditSlot in a context: see [DB.WithAudit].
type auditKey struct{}

type auditSlot struct {
	mu          sync.Mutex
	entry       core.AuditEntry
	userUpdated bool
	done        bool
}

// WithAudit returns a context whose next successful write transaction in
// this store also writes e to the admin audit log (and, with userUpdated,
// a user.updated event for e.TargetID when that user still exists), so the
// entry exists exactly when the change it records does. Only the first
// transaction that commits writes the entry. An entry with a TargetEmail
// and no TargetID (a user the transaction creates) gets the id of the
// user with that email, if there is one.
func (db *DB) WithAudit(ctx context.Context, e core.AuditEntry, userUpdated bool) context.Context {
	return context.WithValue(ctx, auditKey{}, &auditSlot{entry: e, userUpdated: userUpdated})
}

// AuditWritten reports whether the audit entry of ctx (see [DB.WithAudit])
// was written.
func AuditWritten(ctx context.Context) bool {
	s, _ := ctx.Value(auditKey{}).(*auditSlot)
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done
}

// auditTx writes the pending audit entry of ctx inside tx, if any; the
// caller marks it done once tx commits.
func (db *DB) auditTx(ctx context.Context, tx *txn) (*auditSlot, error) {
	s, _ := ctx.Value(auditKey{}).(*auditSlot)
	if s == nil {
		return nil, nil
	}
	s.mu.Lock()
	done := s.done
	e := s.entry
	s.mu.Unlock()
	if done {
		return nil, nil
	}
	if e.IP == "" && e.UserAgent == "" {
		c := core.ClientFrom(ctx)
		e.IP, e.UserAgent = c.IP, c.UserAgent
	}
	if e.TargetID == "" && e.TargetEmail != "" {
		// A user created in this transaction: name them by id too.
		err := tx.QueryRowContext(ctx, `SELECT id FROM auth_users WHERE email_key = $1`, EmailKey(e.TargetEmail)).Scan(&e.TargetID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("admin audit: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO auth_admin_audit (actor_id, actor_email, action, target_id, target_email, detail, ip, user_agent, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, e.ActorID, e.ActorEmail, e.Action, e.TargetID, e.TargetEmail, e.Detail,
		e.IP, e.UserAgent, ms(db.Now())); err != nil {
		return nil, fmt.Errorf("admin audit: %w", err)
	}
	if s.userUpdated && e.TargetID != "" {
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, e.TargetID))
		switch {
		case err == nil:
			if err := db.insertEvent(ctx, tx, core.EventUserUpdated, u); err != nil {
				return nil, err
			}
		case !errors.Is(err, core.ErrNotFound):
			return nil, err
		}
	}
	return s, nil
}

// Audit writes one entry of the admin audit log on its own, for an action
// that changes nothing in this store (an invitation mail is queued by its
// own transaction, which carries the entry instead).
func (db *DB) Audit(ctx context.Context, e core.AuditEntry) error {
	err := db.tx(db.WithAudit(ctx, e, false), func(tx *txn) error { return nil })
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// AuditLog returns the admin audit log, newest first: entries about
// targetID only when it is not empty, older than the entry id before when
// before is not 0, at most limit.
func (db *DB) AuditLog(ctx context.Context, targetID string, before int64, limit int) ([]core.AuditEntry, error) {
	q := `SELECT id, actor_id, actor_email, action, target_id, target_email, detail, ip, user_agent, created_at
		FROM auth_admin_audit WHERE ($1 = 0 OR id < $1)`
	args := []any{before}
	if targetID != "" {
		q += ` AND target_id = $3`
		args = append(args, limit, targetID)
	} else {
		args = append(args, limit)
	}
	rows, err := db.db.QueryContext(ctx, q+` ORDER BY id DESC LIMIT $2`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	defer rows.Close()
	var out []core.AuditEntry
	for rows.Next() {
		var e core.AuditEntry
		var created int64
		if err := rows.Scan(&e.ID, &e.ActorID, &e.ActorEmail, &e.Action, &e.TargetID, &e.TargetEmail, &e.Detail,
			&e.IP, &e.UserAgent, &created); err != nil {
			return nil, fmt.Errorf("store: audit log: %w", err)
		}
		e.CreatedAt = fromMS(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// searchHigh is past every string that starts with a prefix: the prefix
// then the highest code point.
const searchHigh = "\U0010FFFF"

// driveLimit is the size up to which a condition's set of users drives a
// users query: the set is read from its index and each of its users
// looked up. keyedLimit is the same for a set that carries the users' sort
// keys (a search's): it is ordered without reading the users, at a small
// fraction of the cost a user. walkBound is how many users of the sort
// order a query that no small set drives first tests one by one: a common
// match fills a page within it.
const (
	driveLimit = 5000
	keyedLimit = 40000
	walkBound  = 1000
)

// userPlanLimits are the limits above; tests lower them to take every way
// through a small table.
type userPlanLimits struct{ drive, keyed, walk int }

func (db *DB) userPlan() userPlanLimits {
	if db.planLimits != nil {
		return *db.planLimits
	}
	return userPlanLimits{driveLimit, keyedLimit, walkBound}
}

// userCond is one condition of the users table. filter tests a user u;
// set, when not nil, is the same condition as a query of matching ids
// (column uid) served by an index. Both take arg, which binds a value and
// returns its placeholder.
type userCond struct {
	filter func(arg func(any) string) string
	set    func(arg func(any) string) string
	// keyed sets also have the user's sort keys, columns ck (created_at)
	// and ek (email_key), and may list a user more than once; other sets
	// list each user once.
	keyed bool
	// terms are a keyed set's prefixes of auth_user_search terms: the set
	// is the rows whose term starts with one of them.
	terms []string
}

// binder numbers the placeholders of one statement.
type binder struct{ args []any }

func (b *binder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// userOrder is the order of a users query and where its page starts.
type userOrder struct {
	col      string // u.created_at or u.email_key
	desc     bool
	after    any // the cursor's key, nil on the first page
	afterID  string
	limit    int
	keyedCol string // the column of a keyed set with col's values (ck or ek)
	// from, when not nil, is a value of col no user before it in the
	// order has among those the query wants: a walk starts there.
	from any
}

// ListUsers returns one page of users for administration (see
// [core.UserQuery]). A page continues from q.After by keyset, so it costs
// the same at any depth. A condition few users match (a narrow search, a
// rare filter) drives the query from its own index; otherwise the query
// first tests the next users of the sort order, which finds a page of a
// common match at once, and when they hold too few matches, a search
// drives the query from its index of terms, which has the sort keys.
func (db *DB) ListUsers(ctx context.Context, q core.UserQuery) (core.UserPage, error) {
	now := ms(db.Now())
	conds := userConds(q, now)

	o := userOrder{col: "u.created_at", desc: true, keyedCol: "ck", limit: q.Limit}
	switch q.Sort {
	case core.SortCreatedAsc:
		o.desc = false
	case core.SortEmailAsc:
		o.col, o.keyedCol, o.desc = "u.email_key", "ek", false
	case core.SortEmailDesc:
		o.col, o.keyedCol = "u.email_key", "ek"
	case "", core.SortCreatedDesc:
	default:
		return core.UserPage{}, fmt.Errorf("store: list users: unknown sort %q: %w", q.Sort, core.ErrInvalidInput)
	}
	if o.limit <= 0 {
		o.limit = 50
	}
	if c := q.After; c != nil {
		o.after, o.afterID = c.Key, c.ID
		if o.col == "u.created_at" {
			v, err := strconv.ParseInt(c.Key, 10, 64)
			if err != nil {
				return core.UserPage{}, fmt.Errorf("store: list users: bad cursor: %w", core.ErrInvalidInput)
			}
			o.after = v
		}
	}

	// The smallest set under driveLimit drives the query.
	limits := db.userPlan()
	drive, best, keyed := -1, limits.drive+1, -1
	for i, c := range conds {
		if c.set == nil {
			continue
		}
		n, err := db.countSet(ctx, c, limits.drive)
		if err != nil {
			return core.UserPage{}, fmt.Errorf("store: list users: %w", err)
		}
		if n < best {
			drive, best = i, n
		}
		if c.keyed {
			keyed = i
		}
	}

	var page core.UserPage
	var err error
	switch {
	case drive >= 0:
		page.Users, err = db.userPage(ctx, conds, drive, 0, o, now)
	case keyed < 0:
		page.Users, err = db.userPage(ctx, conds, -1, 0, o, now)
	default:
		// A common match fills the page from the next users of the sort
		// order. When they hold too few, the walk starts again at the
		// first match in the order (found by a scan of the search's terms
		// that sorts nothing), which fills the page of a match whose users
		// are together, however far along the order. Matches that are
		// scattered are read from the terms and sorted, unless they are
		// so many that testing each user in order is cheaper.
		page.Users, err = db.userPage(ctx, conds, -1, limits.walk, o, now)
		if err != nil || len(page.Users) > o.limit {
			break
		}
		var from any
		if from, err = db.firstKey(ctx, conds[keyed], o); err != nil || from == nil {
			page.Users = nil
			break
		}
		o.from = from
		page.Users, err = db.userPage(ctx, conds, -1, limits.walk, o, now)
		if err != nil || len(page.Users) > o.limit {
			break
		}
		var n int
		if n, err = db.countSet(ctx, conds[keyed], limits.keyed); err != nil {
			break
		}
		if n <= limits.keyed {
			page.Users, err = db.userPage(ctx, conds, keyed, 0, o, now)
		} else {
			page.Users, err = db.userPage(ctx, conds, -1, 0, o, now)
		}
	}
	if err != nil {
		return core.UserPage{}, fmt.Errorf("store: list users: %w", err)
	}
	if len(page.Users) > o.limit {
		page.Users = page.Users[:o.limit]
		last := page.Users[o.limit-1]
		key := strconv.FormatInt(ms(last.CreatedAt), 10)
		if o.col == "u.email_key" {
			if err := db.db.QueryRowContext(ctx, `SELECT email_key FROM auth_users WHERE id = $1`, last.ID).Scan(&key); err != nil {
				return core.UserPage{}, fmt.Errorf("store: list users: %w", err)
			}
		}
		page.Next = &core.UserCursor{Key: key, ID: last.ID}
	}
	return page, nil
}

// countSet counts the users of c's set, up to max+1 (a keyed set counts a
// user once for each of their terms that match).
func (db *DB) countSet(ctx context.Context, c userCond, max int) (int, error) {
	if c.keyed {
		// Each prefix's range alone: a compound query costs several times
		// as much a row.
		total := 0
		for _, t := range c.terms {
			var n int
			if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM auth_user_search
				WHERE term >= $1 AND term < $2 LIMIT $3) AS l`, t, t+searchHigh, max+1-total).Scan(&n); err != nil {
				return 0, err
			}
			if total += n; total > max {
				break
			}
		}
		return total, nil
	}
	var b binder
	var n int
	query := `SELECT COUNT(*) FROM (SELECT uid FROM (` + c.set(b.arg) + `) AS s LIMIT ` + b.arg(max+1) + `) AS l`
	err := db.db.QueryRowContext(ctx, query, b.args...).Scan(&n)
	return n, err
}

// firstKey returns the value of o's sort column of the first user of c's
// keyed set in o's order, past o's cursor, or nil when there is none.
func (db *DB) firstKey(ctx context.Context, c userCond, o userOrder) (any, error) {
	col := "created_at"
	if o.keyedCol == "ek" {
		col = "email_key"
	}
	agg, op := "MIN", ">"
	if o.desc {
		agg, op = "MAX", "<"
	}
	var first any
	for _, t := range c.terms {
		args := []any{t, t + searchHigh}
		query := `SELECT ` + agg + `(` + col + `) FROM auth_user_search WHERE term >= $1 AND term < $2`
		if o.after != nil {
			args = append(args, o.after, o.afterID)
			query += ` AND (` + col + ` ` + op + ` $3 OR (` + col + ` = $3 AND user_id ` + op + ` $4))`
		}
		var v any
		if err := db.db.QueryRowContext(ctx, query, args...).Scan(&v); err != nil {
			return nil, err
		}
		if v != nil && (first == nil || (o.desc && before(first, v)) || (!o.desc && before(v, first))) {
			first = v
		}
	}
	return first, nil
}

// before reports whether sort key a is less than b (both int64 or both
// strings, as both drivers return created_at and email_key).
func before(a, b any) bool {
	if a, ok := a.(int64); ok {
		return a < b.(int64)
	}
	return a.(string) < b.(string)
}

// userPage reads up to o.limit+1 users that meet every condition, in
// o's order. conds[drive], when drive >= 0, is the set the query starts
// from; otherwise it walks the sort order's index, over at most bound
// users when bound > 0. The page's ids are chosen first, from the sort
// key alone; only the users of the page are then read in full.
func (db *DB) userPage(ctx context.Context, conds []userCond, drive, bound int, o userOrder, now int64) ([]core.UserSummary, error) {
	op, dir := ">", "ASC"
	if o.desc {
		op, dir = "<", "DESC"
	}
	var b binder
	keyset := func(col, idCol string) string {
		k, id := b.arg(o.after), b.arg(o.afterID)
		return `(` + col + ` ` + op + ` ` + k + ` OR (` + col + ` = ` + k + ` AND ` + idCol + ` ` + op + ` ` + id + `))`
	}
	var ids strings.Builder
	where := []string{"1 = 1"}
	sortCol, idCol := o.col, "u.id"
	switch {
	case drive >= 0 && conds[drive].keyed:
		// The set has the sort keys: it is ordered (once a user, past the
		// cursor) without reading a user, then its users are tested in
		// that order until the page is full.
		sortCol, idCol = "m.sk", "m.uid"
		inner := `SELECT ` + o.keyedCol + ` AS sk, uid FROM (` + conds[drive].set(b.arg) + `) AS s`
		if o.after != nil {
			inner += ` WHERE ` + keyset(o.keyedCol, "uid")
		}
		inner += ` GROUP BY sk, uid ORDER BY sk ` + dir + `, uid ` + dir
		ids.WriteString(`SELECT m.sk, m.uid FROM (` + inner + `) m`)
		if len(conds) > 1 {
			ids.WriteString(` CROSS JOIN auth_users u`)
			where = append(where, `u.id = m.uid`)
		}
	case drive >= 0:
		// CROSS JOIN keeps the set outside: SQLite never reorders it, so
		// the set is read once and each of its users looked up by id.
		ids.WriteString(`SELECT u.id FROM (` + conds[drive].set(b.arg) + `) m CROSS JOIN auth_users u`)
		where = append(where, `u.id = m.uid`)
	case bound > 0:
		inner := `SELECT id, created_at, email_key, name, banned, email_verified, locked_until, is_admin FROM auth_users u WHERE 1 = 1`
		if o.after != nil {
			inner += ` AND ` + keyset(o.col, "u.id")
		}
		if o.from != nil {
			inner += ` AND ` + o.col + ` ` + op + `= ` + b.arg(o.from)
		}
		inner += ` ORDER BY ` + o.col + ` ` + dir + `, u.id ` + dir + ` LIMIT ` + b.arg(bound)
		ids.WriteString(`SELECT u.id FROM (` + inner + `) u`)
	default:
		ids.WriteString(`SELECT u.id FROM auth_users u`)
	}
	for i, c := range conds {
		if i != drive {
			where = append(where, c.filter(b.arg))
		}
	}
	if o.after != nil && bound == 0 && !(drive >= 0 && conds[drive].keyed) {
		where = append(where, keyset(sortCol, idCol))
	}
	if o.from != nil && drive < 0 && bound == 0 {
		where = append(where, o.col+` `+op+`= `+b.arg(o.from))
	}
	ids.WriteString(` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + sortCol + ` ` + dir + `, ` + idCol + ` ` + dir + ` LIMIT ` + b.arg(o.limit+1))
	pageIDs := ids.String()
	if drive >= 0 && conds[drive].keyed {
		pageIDs = `SELECT uid FROM (` + pageIDs + `) AS p`
	}
	query := `SELECT ` + userColumns + `, u.is_admin, u.locked_until, EXISTS (SELECT 1 FROM auth_passkeys p WHERE p.user_id = u.id)
		FROM auth_users u WHERE u.id IN (` + pageIDs + `) ORDER BY ` + o.col + ` ` + dir + `, u.id ` + dir

	rows, err := db.db.QueryContext(ctx, query, b.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var users []core.UserSummary
	for rows.Next() {
		var s core.UserSummary
		var locked int64
		u, err := scanUser(rows, &s.Admin, &locked, &s.HasPasskey)
		if err != nil {
			return nil, err
		}
		s.User = u
		if locked > now {
			t := fromMS(locked)
			s.LockedUntil = &t
		}
		users = append(users, s)
	}
	return users, rows.Err()
}

// userConds turns a query's search and filters into conditions.
func userConds(q core.UserQuery, now int64) []userCond {
	var conds []userCond
	lit := func(s string) func(func(any) string) string { return func(func(any) string) string { return s } }
	if s := strings.TrimSpace(q.Search); s != "" {
		emailKey, digits, name := EmailKey(s), phoneDigits(s), strings.ToLower(s)
		// Each kind's prefix is one range of auth_user_search's terms.
		ranges := []string{}
		if emailKey != "" {
			ranges = append(ranges, "e"+emailKey)
		}
		if digits != "" {
			ranges = append(ranges, "p+"+digits)
		}
		ranges = append(ranges, "n"+name, "i"+s)
		conds = append(conds, userCond{
			filter: func(arg func(any) string) string {
				ors := make([]string, len(ranges))
				for i, r := range ranges {
					ors[i] = `(s.term >= ` + arg(r) + ` AND s.term < ` + arg(r+searchHigh) + `)`
				}
				return `EXISTS (SELECT 1 FROM auth_user_search s WHERE s.user_id = u.id AND (` + strings.Join(ors, ` OR `) + `))`
			},
			keyed: true,
			terms: ranges,
			set: func(arg func(any) string) string {
				parts := make([]string, len(ranges))
				for i, r := range ranges {
					parts[i] = `SELECT user_id AS uid, created_at AS ck, email_key AS ek FROM auth_user_search WHERE term >= ` +
						arg(r) + ` AND term < ` + arg(r+searchHigh)
				}
				return strings.Join(parts, ` UNION ALL `)
			},
		})
	}
	if q.Banned {
		conds = append(conds, userCond{filter: lit(`u.banned = 1`), set: lit(`SELECT id AS uid FROM auth_users WHERE banned = 1`)})
	}
	if q.Locked {
		conds = append(conds, userCond{
			filter: func(arg func(any) string) string { return `u.locked_until > ` + arg(now) },
			set: func(arg func(any) string) string {
				return `SELECT id AS uid FROM auth_users WHERE locked_until > ` + arg(now)
			},
		})
	}
	if q.Admin {
		conds = append(conds, userCond{filter: lit(`u.is_admin = 1`), set: lit(`SELECT id AS uid FROM auth_users WHERE is_admin = 1`)})
	}
	if q.Unverified {
		conds = append(conds, userCond{filter: lit(`u.email_verified = 0`)})
	}
	if q.HasMFA {
		conds = append(conds, userCond{
			filter: lit(`EXISTS (SELECT 1 FROM auth_mfa f WHERE f.user_id = u.id AND (f.totp_enabled_at IS NOT NULL OR f.sms_enabled_at IS NOT NULL))`),
			set:    lit(`SELECT user_id AS uid FROM auth_mfa WHERE totp_enabled_at IS NOT NULL OR sms_enabled_at IS NOT NULL`),
		})
	}
	if q.HasPasskey {
		conds = append(conds, userCond{
			filter: lit(`EXISTS (SELECT 1 FROM auth_passkeys pk WHERE pk.user_id = u.id)`),
			set:    lit(`SELECT DISTINCT user_id AS uid FROM auth_passkeys`),
		})
	}
	if q.OrgID != "" {
		org := q.OrgID
		conds = append(conds, userCond{
			filter: func(arg func(any) string) string {
				return `EXISTS (SELECT 1 FROM auth_org_memberships om WHERE om.org_id = ` + arg(org) + ` AND om.user_id = u.id)`
			},
			set: func(arg func(any) string) string {
				return `SELECT user_id AS uid FROM auth_org_memberships WHERE org_id = ` + arg(org)
			},
		})
	}
	return conds
}

// phoneDigits returns the digits of s when s looks like the start of a
// phone number (digits, spaces, dashes, dots, parentheses, a leading +).
func phoneDigits(s string) string {
	var d []byte
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			d = append(d, byte(r))
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return ""
		}
	}
	return string(d)
}

// AdminState returns whether the user is an administrator granted in the
// database, when their password sign-in is locked until (zero if not) and
// their failure count. An unknown user is [core.ErrNotFound].
func (db *DB) AdminState(ctx context.Context, userID string) (admin bool, lockedUntil time.Time, failures int, err error) {
	var until int64
	err = db.db.QueryRowContext(ctx, `SELECT is_admin, locked_until, failed_attempts FROM auth_users WHERE id = $1`, userID).
		Scan(&admin, &until, &failures)
	if errors.Is(err, sql.ErrNoRows) {
		return false, time.Time{}, 0, fmt.Errorf("store: admin state: %w", core.ErrNotFound)
	}
	if err != nil {
		return false, time.Time{}, 0, fmt.Errorf("store: admin state: %w", err)
	}
	if until > ms(db.Now()) {
		lockedUntil = fromMS(until)
	}
	return admin, lockedUntil, failures, nil
}

// IsAdmin reports whether the user is an administrator granted in the
// database; an unknown user is not.
func (db *DB) IsAdmin(ctx context.Context, userID string) (bool, error) {
	var on bool
	err := db.db.QueryRowContext(ctx, `SELECT is_admin FROM auth_users WHERE id = $1`, userID).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: is admin: %w", err)
	}
	return on, nil
}

// CountAdmins returns how many users are administrators granted in the
// database.
func (db *DB) CountAdmins(ctx context.Context) (int, error) {
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_users WHERE is_admin = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count admins: %w", err)
	}
	return n, nil
}

// ErrLastAdmin is returned by [DB.SetAdmin] with keepOne when the change
// would leave no administrator. It is a [core.ErrConflict].
var ErrLastAdmin = fmt.Errorf("the last administrator: %w", core.ErrConflict)

// SetAdmin grants or revokes administration. With keepOne, revoking the
// only administrator is refused with [ErrLastAdmin]; the count and the
// change are one transaction. It writes user.updated.
func (db *DB) SetAdmin(ctx context.Context, userID string, on, keepOne bool) error {
	err := db.tx(ctx, func(tx *txn) error {
		if !on && keepOne {
			var others int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_users WHERE is_admin = 1 AND id <> $1`, userID).Scan(&others); err != nil {
				return err
			}
			if others == 0 {
				return ErrLastAdmin
			}
		}
		if err := execOne(ctx, tx, `UPDATE auth_users SET is_admin = $2, updated_at = $3 WHERE id = $1`, userID, on, ms(db.Now())); err != nil {
			return err
		}
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, userID))
		if err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, core.EventUserUpdated, u)
	})
	if err != nil {
		return fmt.Errorf("store: set admin: %w", err)
	}
	return nil
}

// LockUser locks the user's password sign-in until until, as too many
// wrong passwords would; [DB.UnlockUser] ends it. It writes user.updated.
func (db *DB) LockUser(ctx context.Context, userID string, until time.Time) error {
	err := db.tx(ctx, func(tx *txn) error {
		if err := execOne(ctx, tx, `UPDATE auth_users SET locked_until = $2, updated_at = $3 WHERE id = $1`, userID, ms(until), ms(db.Now())); err != nil {
			return err
		}
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, userID))
		if err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, core.EventUserUpdated, u)
	})
	if err != nil {
		return fmt.Errorf("store: lock user: %w", err)
	}
	return nil
}

// UnlockUser clears every lockout of the user: password failures and
// locks, and second-factor failures and locks. It writes user.updated.
func (db *DB) UnlockUser(ctx context.Context, userID string) error {
	err := db.tx(ctx, func(tx *txn) error {
		if err := execOne(ctx, tx, `UPDATE auth_users SET failed_attempts = 0, failure_window_start = 0, locked_until = 0,
			lockouts = 0, updated_at = $2 WHERE id = $1`, userID, ms(db.Now())); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE auth_mfa SET failures = 0, locked_until = 0 WHERE user_id = $1`, userID); err != nil {
			return err
		}
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, userID))
		if err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, core.EventUserUpdated, u)
	})
	if err != nil {
		return fmt.Errorf("store: unlock user: %w", err)
	}
	return nil
}

// VerifyIdentifier marks one email address or phone number of the user as
// verified (the primary email also sets the user's email_verified) and
// writes user.updated. An identifier of another user is
// [core.ErrNotFound].
func (db *DB) VerifyIdentifier(ctx context.Context, userID, identifierID string) (core.User, error) {
	var u core.User
	err := db.tx(ctx, func(tx *txn) error {
		now := ms(db.Now())
		if err := execOne(ctx, tx, `UPDATE auth_identifiers SET verified_at = COALESCE(verified_at, $3)
			WHERE id = $1 AND user_id = $2`, identifierID, userID, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE auth_users SET email_verified = 1, updated_at = $2 WHERE id = $1
			AND email_key IN (SELECT value_key FROM auth_identifiers WHERE id = $3 AND kind = 'email')`, userID, now, identifierID); err != nil {
			return err
		}
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, userID))
		if err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, core.EventUserUpdated, u)
	})
	if err != nil {
		return core.User{}, fmt.Errorf("store: verify identifier: %w", err)
	}
	return u, nil
}

// ExportUsers calls fn with every user that has an email, oldest first,
// with their password hash (empty for none). It reads in pages, so a
// large table is never held in memory.
func (db *DB) ExportUsers(ctx context.Context, fn func(core.ExportedUser) error) error {
	afterCreated, afterID := int64(-1), ""
	for {
		rows, err := db.db.QueryContext(ctx, `SELECT u.id, u.email, u.email_verified, u.name, u.banned, u.created_at,
			u.public_metadata, u.private_metadata, u.unsafe_metadata, COALESCE(p.hash, '')
			FROM auth_users u LEFT JOIN auth_passwords p ON p.user_id = u.id
			WHERE (u.created_at > $1 OR (u.created_at = $1 AND u.id > $2)) ORDER BY u.created_at, u.id LIMIT 500`, afterCreated, afterID)
		if err != nil {
			return fmt.Errorf("store: export users: %w", err)
		}
		var batch []core.ExportedUser
		var lastCreated int64
		for rows.Next() {
			var e core.ExportedUser
			var created int64
			var pub, priv, unsafe string
			if err := rows.Scan(&e.ID, &e.Email, &e.EmailVerified, &e.Name, &e.Banned, &created, &pub, &priv, &unsafe, &e.PasswordHash); err != nil {
				rows.Close()
				return fmt.Errorf("store: export users: %w", err)
			}
			t := fromMS(created)
			e.CreatedAt = &t
			e.PublicMetadata, e.PrivateMetadata, e.UnsafeMetadata = json.RawMessage(pub), json.RawMessage(priv), json.RawMessage(unsafe)
			lastCreated = created
			batch = append(batch, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: export users: %w", err)
		}
		for _, e := range batch {
			if e.Email == "" {
				continue // a phone-only user: the format carries emails only
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(batch) < 500 {
			return nil
		}
		afterCreated, afterID = lastCreated, batch[len(batch)-1].ID
	}
}

// Backup writes a consistent copy of the whole database to path, a file
// that must not exist, while the database stays in use (VACUUM INTO: one
// read transaction, so the copy is of one moment). A PostgreSQL database
// is backed up with its own tools (pg_dump); Backup refuses it.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.db.pg {
		return fmt.Errorf("store: backup: the database is PostgreSQL; back it up with pg_dump: %w", core.ErrInvalidInput)
	}
	// On the reading connections: VACUUM INTO only reads this database,
	// and the one writing connection must stay free for the app's writes.
	if _, err := db.db.DB.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}
