package i18n

import (
	"testing"
	"testing/fstest"

	"golang.org/x/text/language"
)

// An app's language without the plural category "one" (Chinese) gets
// the English messages' plurals under its own rules, not a broken
// catalog, and its own translations are used.
func TestAppLanguageWithoutOne(t *testing.T) {
	fsys := fstest.MapFS{"zh.json": {Data: []byte(`{"Sign in": "登录", "%d minutes": {"one": "%d 分钟", "other": "%d 分钟"}}`)}}
	c, err := New(Options{Overrides: fsys})
	if err != nil {
		t.Fatal(err)
	}
	l := c.Lookup("zh")
	if got := l.T("Sign in"); got != "登录" {
		t.Errorf(`T("Sign in") = %q, want the app's translation`, got)
	}
	if got := l.T("%d minutes", 1); got != "1 分钟" {
		t.Errorf(`T("%%d minutes", 1) = %q`, got)
	}
	if got := l.T("%d days", 3); got == "" || l.err != nil {
		t.Errorf(`T("%%d days", 3) = %q, err %v: the English plural under Chinese rules`, got, l.err)
	}
}

func TestPluralForms(t *testing.T) {
	for _, c := range []struct {
		tag  string
		want [5]bool // zero one two few many
	}{
		{"en", [5]bool{false, true, false, false, false}},
		{"zh", [5]bool{}},
		{"ja", [5]bool{}},
		{"ar", [5]bool{true, true, true, true, true}},
	} {
		if got := pluralForms(mustTag(t, c.tag)); got != c.want {
			t.Errorf("%s: %v, want %v", c.tag, got, c.want)
		}
	}
}

func mustTag(t *testing.T, s string) language.Tag {
	t.Helper()
	tag, err := language.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}
