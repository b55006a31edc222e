// Package i18n holds embedauth's message catalogs and chooses the language
// of each answer.
//
// # Messages
//
// A message's key is its English text, so that a page, a mail or an error
// reads the same whether a catalog has it or not: "Sign in", "Your code
// expires in %s.". messages/en.json lists every key; each other
// messages/TAG.json (a BCP 47 tag: de, fr, es, pt-BR, ja, ar) maps each key
// to its translation. A value is a string, or an object of plural forms
// ("zero", "one", "two", "few", "many", "other", "=0", "=1", ...) chosen by
// the first argument, following the language's plural rules.
//
// Formatting is golang.org/x/text/message's: %d and %s as in fmt, with
// numbers written the language's way (1.234 in German).
//
// # Overrides
//
// An app passes an fs.FS of files named TAG.json in the same format. A file
// for a shipped language replaces the strings it names; a file for another
// language adds that language (its missing strings stay English). A key
// that en.json does not have is an error, so a misspelt key fails at start.
package i18n

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/embedauth/auth/internal/gzdata"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// The catalogs, gzip-compressed (135 KB instead of 564 KB of binary); the
// messages/TAG.json files are the sources, and go generate rewrites the
// .gz files from them.
//
//go:generate go run github.com/embedauth/auth/internal/gzdata/gzip messages/*.json
//go:embed messages/*.json.gz
var embedded embed.FS

// Partial names the shipped languages that do not translate every message:
// their missing messages are shown in English.
var Partial = map[string]bool{"ar": true}

// rtl are the base languages written right to left.
var rtl = map[string]bool{"ar": true, "he": true, "fa": true, "ur": true}

// Catalogs holds the messages of every language and matches requests to
// them. It is safe for concurrent use; its messages never change after
// New. A language's messages are parsed the first time one of them is
// used: the shipped catalogs are known good (this package's tests load
// every one), and most processes answer in one or two languages. An
// app's overrides are parsed and checked in New.
type Catalogs struct {
	tags     []language.Tag // supported; tags[0] is the default
	matcher  language.Matcher
	locales  map[string]*Locale
	def      *Locale
	defaults map[string]bool // the languages shipped with the module

	b         *catalog.Builder            // every loaded language's messages
	overrides map[string]map[string]value // tag -> the app's messages
	en        func() (map[string]value, error)
	keys      func() map[string]bool // en.json's keys

	// accepted caches the choice for an Accept-Language header: browsers
	// send few distinct ones, and parsing and matching one costs about
	// ten microseconds. At most maxAccepted headers are kept.
	accepted  sync.Map // header -> *Locale
	nAccepted atomic.Int64
}

const maxAccepted = 1024

// Locale is one language: its printer and what it has translated.
type Locale struct {
	c       *Catalogs
	tag     language.Tag
	name    string
	rtl     bool
	partial bool

	once sync.Once
	p    *message.Printer
	has  map[string]bool // keys with a message in this language (or an English override)
	err  error           // of loading the messages
}

// Options configures New.
type Options struct {
	// Default is the language used when neither the user nor the request
	// names one the catalogs have. Default "en".
	Default string
	// Overrides is an fs.FS of TAG.json files (see the package doc). May
	// be nil.
	Overrides fs.FS
}

// shippedEN is the embedded en.json, parsed once per process.
var shippedEN = sync.OnceValues(func() (map[string]value, error) { return parseShipped("en") })

func parseShipped(tag string) (map[string]value, error) {
	raw, err := gzdata.ReadFile(embedded, "messages/"+tag+".json")
	if err != nil {
		return nil, err
	}
	m, err := parseFile(raw)
	if err != nil {
		return nil, fmt.Errorf("i18n: %s.json: %w", tag, err)
	}
	return m, nil
}

// New lists the embedded catalogs and parses and checks the overrides.
func New(o Options) (*Catalogs, error) {
	c := &Catalogs{locales: map[string]*Locale{}, defaults: map[string]bool{}, overrides: map[string]map[string]value{},
		b: catalog.NewBuilder(catalog.Fallback(language.English))}
	c.keys = sync.OnceValue(func() map[string]bool {
		en, _ := shippedEN() // known good; an error leaves no keys
		keys := make(map[string]bool, len(en))
		for k := range en {
			keys[k] = true
		}
		return keys
	})
	entries, err := fs.Glob(embedded, "messages/*.json.gz")
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, e := range entries {
		tag := strings.TrimSuffix(path.Base(e), ".json.gz")
		names[tag] = true
		c.defaults[tag] = true
	}
	if o.Overrides != nil {
		over, err := fs.Glob(o.Overrides, "*.json")
		if err != nil {
			return nil, fmt.Errorf("i18n: overrides: %w", err)
		}
		var errs []error
		check := catalog.NewBuilder()
		for _, e := range over {
			name := strings.TrimSuffix(e, ".json")
			t, err := language.Parse(name)
			if err != nil {
				errs = append(errs, fmt.Errorf("i18n: override %s: the file name is not a language tag", e))
				continue
			}
			tag := t.String()
			raw, err := fs.ReadFile(o.Overrides, e)
			if err != nil {
				return nil, fmt.Errorf("i18n: override %s: %w", e, err)
			}
			m, err := parseFile(raw)
			if err != nil {
				errs = append(errs, fmt.Errorf("i18n: override %s: %w", e, err))
				continue
			}
			keys := c.keys()
			for _, k := range slices.Sorted(maps.Keys(m)) {
				if !keys[k] {
					errs = append(errs, fmt.Errorf("i18n: override %s: unknown message %q", e, k))
					continue
				}
				// What loading the language will do, so that a broken
				// message fails here.
				if err := m[k].set(check, t, k); err != nil {
					errs = append(errs, fmt.Errorf("i18n: override %s: %q: %w", e, k, err))
				}
			}
			if c.overrides[tag] == nil {
				c.overrides[tag] = map[string]value{}
			}
			maps.Copy(c.overrides[tag], m)
			names[tag] = true
		}
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	// en.json with the app's English overrides: they apply under every
	// language that lacks the message.
	c.en = sync.OnceValues(func() (map[string]value, error) {
		en, err := shippedEN()
		if err != nil {
			return nil, err
		}
		if over := c.overrides["en"]; len(over) > 0 {
			en = maps.Clone(en)
			maps.Copy(en, over)
		}
		return en, nil
	})

	defName := "en"
	if o.Default != "" {
		t, err := language.Parse(o.Default)
		if err != nil {
			return nil, fmt.Errorf("i18n: default language %q: %w", o.Default, err)
		}
		defName = t.String()
		if !names[defName] {
			// "de-DE" is German: the closest language there is, when close.
			sorted := slices.Sorted(maps.Keys(names))
			tags := make([]language.Tag, len(sorted))
			for i, n := range sorted {
				tags[i] = language.MustParse(n)
			}
			_, i, conf := language.NewMatcher(tags).Match(t)
			if conf < language.High {
				return nil, fmt.Errorf("i18n: default language %q has no messages (have %s)", o.Default, strings.Join(sorted, ", "))
			}
			defName = sorted[i]
		}
	}

	sorted := slices.Sorted(maps.Keys(names))
	// The default first: the matcher answers it when nothing matches.
	sorted = slices.DeleteFunc(sorted, func(n string) bool { return n == defName })
	sorted = append([]string{defName}, sorted...)
	for _, name := range sorted {
		tag := language.MustParse(name)
		l := &Locale{c: c, tag: tag, name: name, partial: Partial[name] && c.defaults[name]}
		base, _ := tag.Base()
		l.rtl = rtl[base.String()]
		c.tags = append(c.tags, tag)
		c.locales[name] = l
	}
	c.matcher = language.NewMatcher(c.tags)
	c.def = c.locales[defName]
	return c, nil
}

// load parses the locale's messages into the catalogs' builder, once: its
// shipped file, the app's overrides of it and the English overrides it
// lacks. The languages the locale falls back to (pt for pt-BR) are loaded
// first, since the builder looks a message up along the tag's parents.
func (l *Locale) load() {
	l.once.Do(func() {
		l.has = map[string]bool{}
		l.p = message.NewPrinter(l.tag, message.Catalog(l.c.b))
		for t := l.tag.Parent(); t != language.Und; t = t.Parent() {
			if pl := l.c.locales[t.String()]; pl != nil {
				pl.load()
			}
		}
		if l.err = l.loadMessages(); l.err != nil {
			// Not reached with the shipped catalogs (the tests load every
			// one) and checked overrides: the keys are shown as they are.
			l.has = map[string]bool{}
		}
	})
}

func (l *Locale) loadMessages() error {
	msgs := map[string]value{}
	if l.c.defaults[l.name] {
		m, err := parseShipped(l.name)
		if l.name == "en" {
			m, err = shippedEN() // parsed once per process
		}
		if err != nil {
			return err
		}
		maps.Copy(msgs, m)
	}
	maps.Copy(msgs, l.c.overrides[l.name])
	if l.name != "en" {
		en, err := l.c.en()
		if err != nil {
			return err
		}
		for k, v := range en {
			if _, ok := msgs[k]; !ok && !v.identity(k) {
				msgs[k] = v
			}
		}
	}
	has := make(map[string]bool, len(msgs))
	for k, v := range msgs {
		if l.name == "en" && v.identity(k) {
			continue // the key is the message
		}
		if err := v.set(l.c.b, l.tag, k); err != nil {
			return fmt.Errorf("i18n: %s.json: %q: %w", l.name, k, err)
		}
		has[k] = true
	}
	l.has = has
	return nil
}

// LoadAll loads every language's messages and reports the first error,
// for tests: New leaves them to their first use.
func (c *Catalogs) LoadAll() error {
	for _, name := range slices.Sorted(maps.Keys(c.locales)) {
		l := c.locales[name]
		l.load()
		if l.err != nil {
			return l.err
		}
	}
	return nil
}

// formsOf caches pluralForms.
var formsOf sync.Map // language.Tag -> [5]bool

// pluralForms reports which of the categories zero, one, two, few and
// many the language of tag gives some whole number (the counts messages
// take), found by asking its rules for the numbers up to 1,000 and the
// powers of ten up to a billion.
func pluralForms(tag language.Tag) [5]bool {
	if f, ok := formsOf.Load(tag); ok {
		return f.([5]bool)
	}
	var has [5]bool
	mark := func(n int) {
		switch plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0) {
		case plural.Zero:
			has[0] = true
		case plural.One:
			has[1] = true
		case plural.Two:
			has[2] = true
		case plural.Few:
			has[3] = true
		case plural.Many:
			has[4] = true
		}
	}
	for n := 0; n <= 1000; n++ {
		mark(n)
	}
	for n := 10_000; n <= 1_000_000_000; n *= 10 {
		mark(n)
	}
	formsOf.Store(tag, has)
	return has
}

// value is one message of a file: a string or plural forms.
type value struct {
	text  string
	forms map[string]string
}

func (v value) identity(key string) bool { return v.forms == nil && v.text == key }

func (v value) set(b *catalog.Builder, tag language.Tag, key string) error {
	if v.forms == nil {
		return b.SetString(tag, key, v.text)
	}
	var cases []any
	// Exact numbers first, then the plural categories, "other" last.
	order := []string{"zero", "one", "two", "few", "many"}
	for _, k := range slices.Sorted(maps.Keys(v.forms)) {
		if strings.HasPrefix(k, "=") {
			cases = append(cases, k, v.forms[k])
		}
	}
	// Only the categories the language has: an English fallback's "one"
	// under a language without it (Chinese, Japanese) would fail, and no
	// count would ever select it there.
	has := pluralForms(tag)
	for i, k := range order {
		if s, ok := v.forms[k]; ok && has[i] {
			cases = append(cases, k, s)
		}
	}
	other, ok := v.forms["other"]
	if !ok {
		return errors.New(`plural forms need "other"`)
	}
	cases = append(cases, "other", other)
	return b.Set(tag, key, plural.Selectf(1, "%d", cases...))
}

func (v *value) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &v.forms); err != nil {
			return err
		}
		for k := range v.forms {
			switch k {
			case "zero", "one", "two", "few", "many", "other":
			default:
				if _, err := strconv.Atoi(strings.TrimPrefix(k, "=")); err != nil || !strings.HasPrefix(k, "=") {
					return fmt.Errorf("unknown plural form %q", k)
				}
			}
		}
		return nil
	}
	return json.Unmarshal(b, &v.text)
}

func parseFile(raw []byte) (map[string]value, error) {
	var m map[string]value
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// Default is the locale of the configured default language.
func (c *Catalogs) Default() *Locale { return c.def }

// Languages lists the tags of every language the catalogs have, the
// default first.
func (c *Catalogs) Languages() []string {
	out := make([]string, len(c.tags))
	for i, t := range c.tags {
		out[i] = t.String()
	}
	return out
}

// Keys lists every message key (en.json's), sorted.
func (c *Catalogs) Keys() []string { return slices.Sorted(maps.Keys(c.keys())) }

// Known reports whether tag names a language the catalogs have, and
// returns the catalogs' name of it: the language itself ("PT-br" is
// "pt-BR"), or the one it is a close variant of ("de-AT" is "de", "pt"
// is "pt-BR"). A tag of a language they lack ("zh") is not known.
func (c *Catalogs) Known(tag string) (string, bool) {
	if len(tag) > 64 {
		return "", false
	}
	t, err := language.Parse(tag)
	if err != nil {
		return "", false
	}
	if _, ok := c.locales[t.String()]; ok {
		return t.String(), true
	}
	_, i, conf := c.matcher.Match(t)
	if conf < language.High {
		return "", false
	}
	return c.tags[i].String(), true
}

// Lookup returns the locale named tag, or nil when the catalogs have no
// such language.
func (c *Catalogs) Lookup(tag string) *Locale {
	if tag == "" {
		return nil
	}
	if l, ok := c.locales[tag]; ok {
		return l
	}
	if name, ok := c.Known(tag); ok {
		return c.locales[name]
	}
	return nil
}

// Choose picks the language of an answer: the user's saved preference
// when the catalogs have it, else the best match of an Accept-Language
// header, else the default.
func (c *Catalogs) Choose(preference, acceptLanguage string) *Locale {
	if l := c.Lookup(preference); l != nil {
		return l
	}
	if acceptLanguage == "" || len(acceptLanguage) > 512 {
		return c.def
	}
	if l, ok := c.accepted.Load(acceptLanguage); ok {
		return l.(*Locale)
	}
	l := c.def
	if prefs, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil && len(prefs) > 0 {
		if _, i, conf := c.matcher.Match(prefs...); conf != language.No {
			l = c.locales[c.tags[i].String()]
		}
	}
	if c.nAccepted.Load() < maxAccepted {
		if _, loaded := c.accepted.LoadOrStore(acceptLanguage, l); !loaded {
			c.nAccepted.Add(1)
		}
	}
	return l
}

// Tag is the locale's BCP 47 tag, for a lang attribute.
func (l *Locale) Tag() string { return l.name }

// Dir is "rtl" for a language written right to left, else "ltr".
func (l *Locale) Dir() string {
	if l.rtl {
		return "rtl"
	}
	return "ltr"
}

// Partial reports whether the language is a shipped partial one.
func (l *Locale) Partial() bool { return l.partial }

// Has reports whether the locale has its own message for key.
func (l *Locale) Has(key string) bool {
	l.load()
	return l.has[key]
}

// T returns the message key in the locale's language, formatted with args.
// A key no catalog has is returned as it is (formatted with args, if any):
// text that reaches a page from elsewhere stays readable.
func (l *Locale) T(key string, args ...any) string {
	l.load()
	if len(args) == 0 && !l.has[key] {
		return key
	}
	return l.p.Sprintf(key, args...)
}

// Number writes n the language's way.
func (l *Locale) Number(n int) string {
	l.load()
	return l.p.Sprint(n)
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// Date writes t, in its own location, with the language's date layout
// (the message "{day} {month} {year}, {time} {zone}") and month names.
func (l *Locale) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	layout := l.T("{day} {month} {year}, {time} {zone}")
	return strings.NewReplacer(
		"{day}", strconv.Itoa(t.Day()),
		"{month}", l.T(months[t.Month()-1]),
		"{monthnum}", strconv.Itoa(int(t.Month())),
		"{year}", strconv.Itoa(t.Year()),
		"{time}", t.Format("15:04"),
		"{zone}", t.Format("MST"),
	).Replace(layout)
}

// longMonths are the full names' messages; May's key is not "May", which
// is the short name's, since some languages shorten it ("may", "mai.").
var longMonths = [...]string{"January", "February", "March", "April", "May (full name)", "June", "July", "August", "September", "October", "November", "December"}

// LongDate writes t, in its own location, as mail does: the message
// "{day} {month} {year} at {time} {zone}" with full month names.
func (l *Locale) LongDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	layout := l.T("{day} {month} {year} at {time} {zone}")
	return strings.NewReplacer(
		"{day}", strconv.Itoa(t.Day()),
		"{month}", l.T(longMonths[t.Month()-1]),
		"{monthnum}", strconv.Itoa(int(t.Month())),
		"{year}", strconv.Itoa(t.Year()),
		"{time}", t.Format("15:04"),
		"{zone}", t.Format("MST"),
	).Replace(layout)
}

// Duration writes d in words, naming at most its two largest units (days,
// hours, minutes; seconds only under a minute) and dropping smaller
// remainders, so that it never overstates d: "10 minutes", "1 hour and 30
// minutes".
func (l *Locale) Duration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d < time.Minute {
		return l.T("%d seconds", int(d/time.Second))
	}
	mins := int(d / time.Minute)
	amounts := []int{mins / (24 * 60), mins / 60 % 24, mins % 60}
	keys := []string{"%d days", "%d hours", "%d minutes"}
	for i, n := range amounts {
		if n == 0 {
			continue
		}
		s := l.T(keys[i], n)
		if i+1 < len(amounts) && amounts[i+1] != 0 {
			s = l.T("%s and %s", s, l.T(keys[i+1], amounts[i+1]))
		}
		return s
	}
	return l.T("%d minutes", 0)
}
