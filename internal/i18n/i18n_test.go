package i18n_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/embedauth/auth/internal/gzdata"
	"github.com/embedauth/auth/internal/i18n"
)

// readCatalog reads messages/NAME.json as raw values.
func readCatalog(t *testing.T, name string) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("messages", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// forms returns a message's texts: the string, or each plural form.
func forms(t *testing.T, raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: neither a string nor plural forms", raw)
	}
	return slices.Collect(maps.Values(m))
}

var verbRE = regexp.MustCompile(`%(\[[0-9]+\])?[-+# 0]*[0-9]*(\.[0-9]+)?[vsdq]|\{[a-z]+\}`)

var indexRE = regexp.MustCompile(`\[[0-9]+\]`)

// verbs are the formatting verbs and date placeholders of s, sorted.
func verbs(s string) []string {
	v := verbRE.FindAllString(s, -1)
	for i := range v {
		v[i] = indexRE.ReplaceAllString(v[i], "") // %[2]v is %v in another order
		if v[i] == "{monthnum}" {
			v[i] = "{month}" // a date layout may write the month as a number
		}
	}
	slices.Sort(v)
	return v
}

// Every catalog has exactly English's messages (the partial ones may
// lack some), each with the same formatting verbs as the English text.
func TestCatalogsMatchEnglish(t *testing.T) {
	en := readCatalog(t, "en.json")
	files, err := filepath.Glob("messages/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 7 {
		t.Fatalf("only %d catalogs", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		if name == "en.json" {
			continue
		}
		tag := strings.TrimSuffix(name, ".json")
		t.Run(tag, func(t *testing.T) {
			cat := readCatalog(t, name)
			for k := range cat {
				if _, ok := en[k]; !ok {
					t.Errorf("%s has %q, which English lacks", name, k)
				}
			}
			missing := 0
			for k, raw := range en {
				tr, ok := cat[k]
				if !ok {
					missing++
					if !i18n.Partial[tag] {
						t.Errorf("%s lacks %q", name, k)
					}
					continue
				}
				want := verbs(forms(t, raw)[0])
				for _, s := range forms(t, tr) {
					got := verbs(s)
					// A plural form may spell the number out ("one
					// day"): it may drop the count, never add one.
					if !slices.Equal(got, want) && !(len(forms(t, tr)) > 1 && len(got) < len(want)) {
						t.Errorf("%s: %q is %q: verbs %v, English has %v", name, k, s, got, want)
					}
				}
			}
			if i18n.Partial[tag] && missing == 0 {
				t.Errorf("%s is complete: take it off i18n.Partial and the README's list of partial languages", name)
			}
		})
	}
}

var tCallRE = regexp.MustCompile(`\{\{-?\s*t "((?:[^"\\]|\\.)*)"`)

// Every message a page, a component or a mail asks for is in en.json:
// a template's new text fails here until it is added (and translated).
func TestTemplatesUseCatalogKeys(t *testing.T) {
	c, err := i18n.New(i18n.Options{})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, k := range c.Keys() {
		keys[k] = true
	}
	n := 0
	for _, root := range []string{"../../ui/templates", "../../mail/templates"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, m := range tCallRE.FindAllStringSubmatch(string(b), -1) {
				k, err := strconv.Unquote(`"` + m[1] + `"`)
				if err != nil {
					t.Errorf("%s: %s: %v", p, m[1], err)
					continue
				}
				n++
				if !keys[k] {
					t.Errorf("%s: %q is not in en.json", p, k)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 500 {
		t.Errorf("only %d translated texts found in the templates", n)
	}
}

func TestChoose(t *testing.T) {
	c, err := i18n.New(i18n.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ pref, accept, want string }{
		{"", "", "en"},
		{"", "de-DE,de;q=0.9,en;q=0.8", "de"},
		{"fr", "de-DE,de;q=0.9", "fr"},               // the saved choice first
		{"xx", "ja", "ja"},                           // an unknown choice is ignored
		{"", "pt-BR", "pt-BR"},                       // Brazilian Portuguese
		{"", "pt", "pt-BR"},                          // the one Portuguese there is
		{"", "es-MX", "es"},                          // a regional variant
		{"", "zh-CN", "en"},                          // nothing matches: the default
		{"", "en-GB;q=0.5,ja;q=0.9", "ja"},           // by quality
		{"", strings.Repeat("de,", 400) + "x", "en"}, // an absurd header is ignored
	} {
		if got := c.Choose(tc.pref, tc.accept).Tag(); got != tc.want {
			t.Errorf("Choose(%q, %q) = %s, want %s", tc.pref, tc.accept, got, tc.want)
		}
	}
	d, err := i18n.New(i18n.Options{Default: "de"})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Choose("", "zh").Tag(); got != "de" {
		t.Errorf("default de: Choose(zh) = %s", got)
	}
	if got := d.Choose("", "en-US").Tag(); got != "en" {
		t.Errorf("default de: Choose(en-US) = %s", got)
	}
	if _, err := i18n.New(i18n.Options{Default: "it"}); err == nil {
		t.Error("a default language without messages was accepted")
	}
	if d, err := i18n.New(i18n.Options{Default: "de-AT"}); err != nil || d.Default().Tag() != "de" {
		t.Errorf("default de-AT: %v", err)
	}
	for tag, want := range map[string]string{"de": "de", "PT-br": "pt-BR", "de-CH": "de", "pt": "pt-BR", "es-419": "es", "zh": "", "x": "", "": ""} {
		if got, ok := c.Known(tag); got != want || ok != (want != "") {
			t.Errorf("Known(%q) = %q, %v; want %q", tag, got, ok, want)
		}
	}
}

func TestTranslateAndFormat(t *testing.T) {
	c, err := i18n.New(i18n.Options{})
	if err != nil {
		t.Fatal(err)
	}
	de, ja, ar, en := c.Lookup("de"), c.Lookup("ja"), c.Lookup("ar"), c.Lookup("en")
	if got := de.T("Sign in"); got != "Anmelden" {
		t.Errorf("de Sign in = %q", got)
	}
	if got := en.T("Not a message 100%"); got != "Not a message 100%" {
		t.Errorf("unknown text = %q", got)
	}
	if got := de.T("At least %v characters.", 15); !strings.Contains(got, "15") {
		t.Errorf("de with argument = %q", got)
	}
	if got := de.Number(1234567); got != "1.234.567" {
		t.Errorf("de number = %q", got)
	}
	if got := en.Number(1234567); got != "1,234,567" {
		t.Errorf("en number = %q", got)
	}
	when := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	if got := en.Date(when); got != "4 Mar 2026, 05:06 UTC" {
		t.Errorf("en date = %q", got)
	}
	if got := ja.Date(when); !strings.Contains(got, "2026年3月4日") {
		t.Errorf("ja date = %q", got)
	}
	// May: the short and full names differ in some languages.
	may := time.Date(2026, 5, 4, 5, 6, 0, 0, time.UTC)
	es := c.Lookup("es")
	if got := es.LongDate(may); !strings.Contains(got, "mayo") {
		t.Errorf("es long date = %q", got)
	}
	if got := es.Date(may); !strings.Contains(got, "may ") {
		t.Errorf("es date = %q", got)
	}
	if got := en.LongDate(may); !strings.Contains(got, "4 May 2026") {
		t.Errorf("en long date = %q", got)
	}
	if got := en.Duration(90 * time.Minute); got != "1 hour and 30 minutes" {
		t.Errorf("en duration = %q", got)
	}
	if got := en.Duration(time.Minute); got != "1 minute" {
		t.Errorf("en duration = %q", got)
	}
	if got := de.Duration(10 * time.Minute); got != "10 Minuten" {
		t.Errorf("de duration = %q", got)
	}
	if ar.Dir() != "rtl" || de.Dir() != "ltr" {
		t.Errorf("dir: ar %s, de %s", ar.Dir(), de.Dir())
	}
	if !ar.Partial() || de.Partial() {
		t.Error("ar is the partial language")
	}
}

func TestOverrides(t *testing.T) {
	over := fstest.MapFS{
		"en.json": {Data: []byte(`{"Sign in": "Log in"}`)},
		"de.json": {Data: []byte(`{"Sign in": "Einloggen"}`)},
		"it.json": {Data: []byte(`{"Sign in": "Accedi", "%d minutes": {"one": "%d minuto", "other": "%d minuti"}}`)},
	}
	c, err := i18n.New(i18n.Options{Overrides: over, Default: "it"})
	if err != nil {
		t.Fatal(err)
	}
	for tag, want := range map[string]string{"en": "Log in", "de": "Einloggen", "it": "Accedi", "fr": "Se connecter"} {
		if got := c.Lookup(tag).T("Sign in"); got != want {
			t.Errorf("%s: Sign in = %q, want %q", tag, got, want)
		}
	}
	it := c.Lookup("it")
	if got := it.T("Password"); got != "Password" {
		t.Errorf("it: a message it lacks = %q, want the English", got)
	}
	if got := it.Duration(time.Minute); got != "1 minuto" {
		t.Errorf("it: plural = %q", got)
	}
	if got := c.Choose("", "it-IT").Tag(); got != "it" {
		t.Errorf("the added language is not chosen: %s", got)
	}

	for name, files := range map[string]fstest.MapFS{
		"unknown key": {"de.json": {Data: []byte(`{"Sign inn": "Anmelden"}`)}},
		"not JSON":    {"de.json": {Data: []byte(`{"Sign in": `)}},
		"bad tag":     {"not a language!.json": {Data: []byte(`{}`)}},
		"bad plural":  {"de.json": {Data: []byte(`{"%d days": {"several": "x"}}`)}},
		"no other":    {"de.json": {Data: []byte(`{"%d days": {"one": "%d Tag"}}`)}},
	} {
		if _, err := i18n.New(i18n.Options{Overrides: files}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func BenchmarkChoose(b *testing.B) {
	c, err := i18n.New(i18n.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		c.Choose("", "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7")
	}
}

// The shipped catalogs are parsed at their first use, not in New: every
// one loads without error, and languages first used from many goroutines
// at once answer as languages loaded one by one do.
func TestLoadOnFirstUse(t *testing.T) {
	t.Parallel()
	ref, err := i18n.New(i18n.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ref.LoadAll(); err != nil {
		t.Fatal(err)
	}
	c, err := i18n.New(i18n.Options{})
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"Sign in", "Password", "%d minutes"}
	done := make(chan error, 8)
	for g := range 8 {
		go func() {
			for i := range ref.Languages() {
				lang := ref.Languages()[(i+g)%len(ref.Languages())]
				for _, k := range keys {
					want, got := ref.Lookup(lang).T(k, 3), c.Lookup(lang).T(k, 3)
					if k == "Sign in" || k == "Password" {
						want, got = ref.Lookup(lang).T(k), c.Lookup(lang).T(k)
					}
					if got != want {
						done <- fmt.Errorf("%s: %q = %q, want %q", lang, k, got, want)
						return
					}
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	if got := c.Lookup("de").T("Sign in"); got == "Sign in" {
		t.Errorf("de: Sign in is not translated: %q", got)
	}
}

// Each messages/TAG.json.gz the binary embeds holds messages/TAG.json (go
// generate rewrites them).
func TestGzipIsTheSource(t *testing.T) {
	t.Parallel()
	if err := gzdata.SameAsSource(os.DirFS("."), ".", "messages/*.json"); err != nil {
		t.Fatal(err)
	}
}
