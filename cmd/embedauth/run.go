package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/postgres"
	"github.com/embedauth/auth/store"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

const usage = `embedauth administers the users of an embedauth app, on its SQLite file.

Usage:
  embedauth [-db FILE] COMMAND [ARGS]

Commands:
  users list [-q SEARCH] [-filter F,...] [-sort S] [-limit N] [-cursor C] [-json]
  users show USER [-json]
  users create -email EMAIL [-name NAME] [-verified] [-password-stdin]
  users ban USER | users unban USER | users unlock USER
  users delete -yes USER
  admin grant USER | admin revoke USER
  sessions revoke USER
  keys rotate [-alg RS256|ES256|EdDSA]
  migrate
  migrate-to [-finish] POSTGRES_URL
  backup OUT
  export [-o FILE]
  import FILE

USER is a user id (user_...) or an email address. Every command takes -help.

Global flags:
  -db FILE   the SQLite file (default $EMBEDAUTH_DB, else embedauth.db), or
             a PostgreSQL URL (postgres://...)

The encryption key is read from $EMBEDAUTH_ENCRYPTION_KEY (base64 of 32
bytes) when set, else from FILE.key beside the database, as the app does;
with PostgreSQL it must be set.

Exit codes: 0 success, 1 the command failed, 2 a usage error.
`

// usageError is a wrong command line: exit code 2, with usage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// env is what every command gets.
type env struct {
	ctx    context.Context
	db     string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// open opens the database for a tool: no background delivery.
func (e *env) open() (*auth.Auth, error) {
	cfg := auth.Config{DatabasePath: e.db, Logger: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelError}))}
	if k := os.Getenv("EMBEDAUTH_ENCRYPTION_KEY"); k != "" {
		key, err := base64.StdEncoding.DecodeString(k)
		if err != nil {
			return nil, fmt.Errorf("EMBEDAUTH_ENCRYPTION_KEY is not base64: %w", err)
		}
		cfg.EncryptionKey = key
	}
	if store.IsPostgresURL(e.db) {
		cfg.DatabasePath, cfg.DatabaseURL = "", e.db
	}
	return auth.OpenOffline(cfg)
}

// run is the whole tool: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("embedauth", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	def := os.Getenv("EMBEDAUTH_DB")
	if def == "" {
		def = "embedauth.db"
	}
	db := fs.String("db", def, "the SQLite file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return exitOK
		}
		fmt.Fprintf(stderr, "embedauth: %v\n\n%s", err, usage)
		return exitUsage
	}
	e := &env{ctx: ctx, db: *db, stdin: stdin, stdout: stdout, stderr: stderr}
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	if rest[0] == "help" {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cmd, ok := commandTable()[rest[0]]
	name := rest[0]
	args = rest[1:]
	if ok && cmd.sub != nil {
		if len(args) == 0 || args[0] == "-help" || args[0] == "--help" || args[0] == "-h" {
			fmt.Fprint(stdout, cmd.help)
			if len(args) == 0 {
				return exitUsage
			}
			return exitOK
		}
		sub, found := cmd.sub[args[0]]
		if !found {
			fmt.Fprintf(stderr, "embedauth: unknown command %q\n\n%s", name+" "+args[0], cmd.help)
			return exitUsage
		}
		name += " " + args[0]
		args = args[1:]
		cmd = sub
	}
	if !ok || cmd.fn == nil {
		fmt.Fprintf(stderr, "embedauth: unknown command %q\n\n%s", name, usage)
		return exitUsage
	}
	err := cmd.fn(e, name, cmd.help, args)
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "embedauth %s: %s\n\n%s", name, ue.msg, cmd.help)
		return exitUsage
	}
	fmt.Fprintf(stderr, "embedauth %s: %s\n", name, describe(err))
	return exitFailure
}

// describe says what went wrong: a refusal's public message, else the error.
func describe(err error) string {
	var ce *core.Error
	if errors.As(err, &ce) && ce.Message != "" {
		return ce.Message + " (" + ce.Code + ")"
	}
	if errors.Is(err, core.ErrNotFound) {
		return "there is no such user"
	}
	return err.Error()
}

// command is one command or a group of subcommands.
type command struct {
	help string
	fn   func(e *env, name, help string, args []string) error
	sub  map[string]*command
}

// commandTable is every command, with its help.
func commandTable() map[string]*command {
	return map[string]*command{
		"users": {help: usersHelp, sub: map[string]*command{
			"list":   {help: "Usage: embedauth users list [-q SEARCH] [-filter banned,locked,unverified,has_mfa,has_passkey,admin] [-sort created_desc|created_asc|email_asc|email_desc] [-limit N] [-cursor C] [-json]\n\nLists one page of users; the last line gives the cursor of the next page.\n", fn: usersList},
			"show":   {help: "Usage: embedauth users show USER [-json]\n\nShows a user in full: addresses, factors, sessions, organizations, metadata, recent security log.\n", fn: usersShow},
			"create": {help: "Usage: embedauth users create -email EMAIL [-name NAME] [-verified] [-password-stdin]\n\nCreates a user. With -password-stdin the password is read from the first line of standard input.\n", fn: usersCreate},
			"ban":    {help: "Usage: embedauth users ban USER\n\nBans a user: their sessions end and sign-in is refused.\n", fn: userAction("ban")},
			"unban":  {help: "Usage: embedauth users unban USER\n\nLets a banned user sign in again.\n", fn: userAction("unban")},
			"unlock": {help: "Usage: embedauth users unlock USER\n\nClears every lockout of a user.\n", fn: userAction("unlock")},
			"delete": {help: "Usage: embedauth users delete -yes USER\n\nDeletes a user and everything of theirs. -yes confirms.\n", fn: usersDelete},
		}},
		"admin": {help: "Usage: embedauth admin grant|revoke USER\n\nGrants or revokes administration of the app (the admin pages at /auth/admin/users and the admin API).\n", sub: map[string]*command{
			"grant":  {help: "Usage: embedauth admin grant USER\n\nMakes a user an administrator.\n", fn: userAction("grant")},
			"revoke": {help: "Usage: embedauth admin revoke USER\n\nRevokes a user's administration (never the last administrator's).\n", fn: userAction("revoke")},
		}},
		"sessions": {help: "Usage: embedauth sessions revoke USER\n", sub: map[string]*command{
			"revoke": {help: "Usage: embedauth sessions revoke USER\n\nSigns a user out of every device.\n", fn: userAction("revoke-sessions")},
		}},
		"keys": {help: "Usage: embedauth keys rotate [-alg ALG]\n", sub: map[string]*command{
			"rotate": {help: "Usage: embedauth keys rotate [-alg RS256|ES256|EdDSA]\n\nMakes a new JWT signing key current; the old one stays in the JWKS until its tokens expire.\n", fn: keysRotate},
		}},
		"migrate":    {help: "Usage: embedauth migrate\n\nCreates or migrates the database and lists the applied migrations.\n", fn: migrate},
		"migrate-to": {help: migrateToHelp, fn: migrateTo},
		"backup":     {help: "Usage: embedauth backup OUT\n\nWrites a consistent copy of the database to OUT (which must not exist) while the app runs. Keep the encryption key with it.\n", fn: backup},
		"export":     {help: "Usage: embedauth export [-o FILE]\n\nWrites every user with an email as JSON ({\"users\": [...]}), password hashes included: keep the file secret.\n", fn: export},
		"import":     {help: "Usage: embedauth import FILE\n\nCreates the users of a JSON file in the export format (- reads standard input). Password hashes may be argon2id or bcrypt ($2a$, $2b$, $2y$); bcrypt ones are upgraded at the user's next sign-in. Users whose email exists are skipped; the command fails if any user was refused.\n", fn: importUsers},
	}
}

const usersHelp = `Usage: embedauth users COMMAND

Commands:
  list     list users (search, filters, sort, paging)
  show     show one user in full
  create   create a user
  ban      ban a user
  unban    lift a ban
  unlock   clear a user's lockouts
  delete   delete a user
`

// flags returns a flag set for a command whose -help prints help.
func flags(e *env, name, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() { fmt.Fprint(e.stdout, help) }
	return fs
}

// parse parses args, allowing flags after the positional arguments, and
// returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.Usage()
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseNoArgs parses a command's flags when it takes no other arguments.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	return nil
}

// findUser reads USER: an id or an email.
func findUser(e *env, a *auth.Auth, ref string) (auth.User, error) {
	if strings.HasPrefix(ref, "user_") {
		return a.GetUser(e.ctx, ref)
	}
	return a.GetUserByEmail(e.ctx, ref)
}

func usersList(e *env, name, help string, args []string) error {
	fs := flags(e, name, help)
	q := fs.String("q", "", "search")
	filter := fs.String("filter", "", "filters")
	sort := fs.String("sort", "", "sort")
	limit := fs.Int("limit", 50, "page size")
	cursor := fs.String("cursor", "", "cursor")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	page, next, err := a.ListUsersQuery(e.ctx, map[string][]string{"q": {*q}, "filter": {*filter}, "sort": {*sort},
		"limit": {fmt.Sprint(*limit)}, "cursor": {*cursor}})
	if err != nil {
		var ce *core.Error
		if errors.As(err, &ce) && ce.Field != "" {
			return usagef("-%s: %s", map[string]string{"q": "q", "filter": "filter", "sort": "sort", "limit": "limit", "cursor": "cursor"}[ce.Field], ce.Message)
		}
		return err
	}
	if *asJSON {
		users := page.Users
		if users == nil {
			users = []auth.UserSummary{}
		}
		return writeJSON(e.stdout, map[string]any{"users": users, "next_cursor": next})
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tCREATED\tSTATE")
	for _, u := range page.Users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.CreatedAt.Format(time.DateOnly), state(u))
	}
	tw.Flush()
	if next != "" {
		fmt.Fprintf(e.stdout, "next page: -cursor %s\n", next)
	}
	return nil
}

func state(u auth.UserSummary) string {
	var s []string
	if u.Banned {
		s = append(s, "banned")
	}
	if u.LockedUntil != nil {
		s = append(s, "locked")
	}
	if !u.EmailVerified {
		s = append(s, "unverified")
	}
	if u.TwoFactorEnabled {
		s = append(s, "mfa")
	}
	if u.HasPasskey {
		s = append(s, "passkey")
	}
	if u.Admin {
		s = append(s, "admin")
	}
	return strings.Join(s, ",")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func usersShow(e *env, name, help string, args []string) error {
	fs := flags(e, name, help)
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give one USER")
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := findUser(e, a, pos[0])
	if err != nil {
		return err
	}
	d, err := a.UserDetail(e.ctx, u.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, d)
	}
	w := e.stdout
	fmt.Fprintf(w, "id:        %s\nemail:     %s (verified: %v)\nname:      %s\ncreated:   %s\nbanned:    %v\nadmin:     %v\n",
		d.User.ID, d.User.Email, d.User.EmailVerified, d.User.Name, d.User.CreatedAt.Format(time.RFC3339), d.User.Banned, d.Admin)
	if d.LockedUntil != nil {
		fmt.Fprintf(w, "locked:    until %s\n", d.LockedUntil.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "password:  %v\ntotp:      %v\nsms:       %v\npasskeys:  %d\nsessions:  %d\norgs:      %d\n",
		d.User.HasPassword, d.TOTP, d.SMSFactor, len(d.Passkeys), len(d.Sessions), len(d.Orgs))
	for _, i := range d.Identifiers {
		fmt.Fprintf(w, "address:   %s %s primary=%v verified=%v\n", i.Kind, i.Value, i.Primary, i.Verified)
	}
	fmt.Fprintf(w, "public:    %s\nprivate:   %s\nunsafe:    %s\n", d.User.PublicMetadata, d.PrivateMetadata, d.User.UnsafeMetadata)
	return nil
}

func usersCreate(e *env, name, help string, args []string) error {
	fs := flags(e, name, help)
	email := fs.String("email", "", "email")
	uname := fs.String("name", "", "name")
	verified := fs.Bool("verified", false, "the address is verified")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *email == "" {
		return usagef("-email is required")
	}
	p := auth.CreateUserParams{Email: *email, Name: *uname, EmailVerified: *verified}
	if *pwStdin {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		p.Password = strings.TrimRight(line, "\r\n")
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.AdminCreateUser(e.ctx, auth.CLIActor, p)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, u.ID)
	return nil
}

// userAction runs an action on one USER.
func userAction(action string) func(e *env, name, help string, args []string) error {
	return func(e *env, name, help string, args []string) error {
		fs := flags(e, name, help)
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("give one USER")
		}
		return withUser(e, pos[0], func(a *auth.Auth, u auth.User) (string, error) {
			var err error
			switch action {
			case "ban":
				_, err = a.AdminBanUser(e.ctx, auth.CLIActor, u.ID)
				return "banned " + u.ID, err
			case "unban":
				_, err = a.AdminUnbanUser(e.ctx, auth.CLIActor, u.ID)
				return "unbanned " + u.ID, err
			case "unlock":
				return "unlocked " + u.ID, a.UnlockUser(e.ctx, auth.CLIActor, u.ID)
			case "grant":
				return u.ID + " is an administrator", a.SetAdmin(e.ctx, auth.CLIActor, u.ID, true)
			case "revoke":
				return u.ID + " is no longer an administrator", a.SetAdmin(e.ctx, auth.CLIActor, u.ID, false)
			case "revoke-sessions":
				return "signed out every session of " + u.ID, a.AdminRevokeSessions(e.ctx, auth.CLIActor, u.ID)
			}
			return "", fmt.Errorf("unknown action %s", action)
		})
	}
}

func withUser(e *env, ref string, fn func(a *auth.Auth, u auth.User) (string, error)) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := findUser(e, a, ref)
	if err != nil {
		return err
	}
	msg, err := fn(a, u)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, msg)
	return nil
}

func usersDelete(e *env, name, help string, args []string) error {
	fs := flags(e, name, help)
	yes := fs.Bool("yes", false, "confirm")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give one USER")
	}
	if !*yes {
		return usagef("deleting cannot be undone: add -yes to confirm")
	}
	return withUser(e, pos[0], func(a *auth.Auth, u auth.User) (string, error) {
		return "deleted " + u.ID, a.AdminDeleteUser(e.ctx, auth.CLIActor, u.ID)
	})
}

func keysRotate(e *env, name, help string, args []string) error {
	fs := flags(e, name, help)
	alg := fs.String("alg", "", "algorithm")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	kid, err := a.RotateSigningKey(e.ctx, *alg)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, kid)
	return nil
}

func migrate(e *env, name, help string, args []string) error {
	fs := flags(e, name, help)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	list, err := a.Migrations(e.ctx)
	if err != nil {
		return err
	}
	for _, m := range list {
		fmt.Fprintln(e.stdout, m)
	}
	return nil
}

func backup(e *env, name, help string, args []string) error {
	fs := flags(e, name, help)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give the OUT file")
	}
	if _, err := os.Stat(pos[0]); err == nil {
		return fmt.Errorf("%s exists; choose a new file", pos[0])
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Backup(e.ctx, pos[0]); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "wrote "+pos[0])
	return nil
}

func export(e *env, name, help string, args []string) error {
	fs := flags(e, name, help)
	out := fs.String("o", "", "output file")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	w := e.stdout
	var f *os.File
	if *out != "" && *out != "-" {
		var err error
		if f, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return err
		}
		w = f
	}
	a, err := e.open()
	if err != nil {
		if f != nil {
			f.Close()
		}
		return err
	}
	defer a.Close()
	bw := bufio.NewWriter(w)
	bw.WriteString("{\"users\": [")
	n := 0
	err = a.ExportUsers(e.ctx, func(u auth.ExportedUser) error {
		b, err := json.Marshal(u)
		if err != nil {
			return err
		}
		if n > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n  ")
		bw.Write(b)
		n++
		return nil
	})
	if err != nil {
		return err
	}
	bw.WriteString("\n]}\n")
	if err := bw.Flush(); err != nil {
		return err
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "exported %d users to %s\n", n, *out)
	}
	return nil
}

func importUsers(e *env, name, help string, args []string) error {
	fs := flags(e, name, help)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give the FILE to import (- for standard input)")
	}
	var r io.Reader = e.stdin
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	var in struct {
		Users []auth.ExportedUser `json:"users"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return fmt.Errorf("%s is not an export file: %w", pos[0], err)
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	var created, skipped, refused int
	for i, u := range in.Users {
		_, err := a.ImportUser(e.ctx, auth.CLIActor, u)
		var ce *core.Error
		switch {
		case err == nil:
			created++
		case errors.As(err, &ce) && ce.Code == "email_taken":
			skipped++
			fmt.Fprintf(e.stderr, "user %d (%s): skipped, the email exists\n", i+1, u.Email)
		case errors.As(err, &ce):
			refused++
			fmt.Fprintf(e.stderr, "user %d (%s): refused: %s\n", i+1, u.Email, describe(err))
		default:
			return fmt.Errorf("user %d (%s): %w", i+1, u.Email, err)
		}
	}
	fmt.Fprintf(e.stdout, "imported %d users, skipped %d, refused %d\n", created, skipped, refused)
	if refused > 0 {
		return fmt.Errorf("%d users were refused", refused)
	}
	return nil
}

const migrateToHelp = `Usage: embedauth migrate-to [-finish] postgres://...

Copies every table of the SQLite database into a PostgreSQL database
(created and migrated first), in one transaction, then checks each table's
row count and checksum on both sides; any difference rolls it back.

It reads the SQLite file from one snapshot and can run while the app
serves. The target must be new and empty, or a copy an earlier migrate-to
made: then only what changed since is written (rows deleted, changed,
added), so each run is shorter than the first. Until a run with -finish the
target is marked as an unfinished copy, which the app refuses to open.

To move a serving app: run it once, run it again if the first took long,
stop the app, run it with -finish (a short run: only the last changes),
then start the app with Config.DatabaseURL, and Config.EncryptionKey set
to the key in FILE.key (hex).

Flags:
  -finish   the last run: the app is stopped; unmark the copy so the app
            can open it (later runs are refused)
`

func migrateTo(e *env, name, help string, args []string) error {
	fs := flags(e, name, help)
	finish := fs.Bool("finish", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || !store.IsPostgresURL(pos[0]) {
		return usagef("give the PostgreSQL URL (postgres://...)")
	}
	if _, err := os.Stat(e.db); err != nil {
		return fmt.Errorf("the SQLite database: %w", err)
	}
	src, err := store.Open(e.db)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := store.OpenCopyTarget(e.ctx, pos[0])
	if err != nil {
		return err
	}
	defer dst.Close()
	started := time.Now()
	report, err := postgres.CopyDatabase(e.ctx, src, dst, postgres.CopyOptions{Finish: *finish})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS\tINSERTED\tUPDATED\tDELETED\tSHA-256")
	var total, written int
	for _, c := range report {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\n", c.Table, c.Rows, c.Inserted, c.Updated, c.Deleted, c.Checksum)
		total += c.Rows
		written += c.Inserted + c.Updated + c.Deleted
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "%d rows in %d tables, %d written, in %s; counts and checksums match\n",
		total, len(report), written, time.Since(started).Round(time.Millisecond))
	if *finish {
		fmt.Fprintln(e.stdout, "finished: start the app on the PostgreSQL database")
	} else {
		fmt.Fprintln(e.stdout, "the copy is unfinished: run migrate-to again for later changes, and with -finish once the app is stopped")
	}
	return nil
}
