package ui_test

import (
	"html/template"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/embedauth/auth/internal/i18n"
	"github.com/embedauth/auth/ui"
)

// withLang returns a copy of page data d (a struct embedding ui.Page, or
// a component's data) in language lang.
func withLang(d any, lang string) any {
	v := reflect.New(reflect.TypeOf(d)).Elem()
	v.Set(reflect.ValueOf(d))
	f := v.FieldByName("Lang")
	f.SetString(lang)
	return v.Interface()
}

// Every page renders in every language: with its lang and dir, and in
// the complete languages with text other than the English page's.
func TestEveryPageRendersInEveryLanguage(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	cat, err := i18n.New(i18n.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data := pageData()
	entries, err := os.ReadDir("templates/pages")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range cat.Languages() {
		l := cat.Lookup(lang)
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			for _, e := range entries {
				name := strings.TrimSuffix(e.Name(), ".html")
				d, ok := data[name]
				if !ok {
					t.Fatalf("no test data for page %q", name)
				}
				out := render(t, u, name, withLang(d, lang))
				head := `<html lang="` + lang + `" dir="` + l.Dir() + `">`
				if !strings.Contains(out, head) {
					t.Errorf("%s: no %s", name, head)
				}
				if lang != "en" && !l.Partial() && out == render(t, u, name, d) {
					t.Errorf("%s: the %s page is the English page", name, lang)
				}
			}
			signIn := render(t, u, "sign-in", withLang(data["sign-in"], lang))
			for _, key := range []string{"Welcome back. Sign in to continue.", "Email address", "No account?", "Sign up"} {
				if !strings.Contains(signIn, template.HTMLEscapeString(l.T(key))) {
					t.Errorf("sign-in lacks %q", l.T(key))
				}
				if lang != "en" && !l.Partial() && l.T(key) == key {
					t.Errorf("%q is not translated", key)
				}
			}
		})
	}
}

func TestComponentsInEveryLanguage(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	cat, err := i18n.New(i18n.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range cat.Languages() {
		l := cat.Lookup(lang)
		btn, err := u.Component("user-button.html", ui.UserButton{Base: "/auth", Email: "ada@example.com", Initials: "A", ProfileURL: "/auth/profile", Lang: lang})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(btn), l.T("Manage account")) {
			t.Errorf("%s: the user button lacks %q", lang, l.T("Manage account"))
		}
		sw, err := u.Component("org-switcher.html", ui.OrgSwitcher{Base: "/auth", Initials: "A", Lang: lang})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(sw), l.T("Create organization")) {
			t.Errorf("%s: the organization switcher lacks %q", lang, l.T("Create organization"))
		}
	}
}
